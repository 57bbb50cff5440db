using DiffusionEngine.Safetensors;
using DiffusionEngine.SingleFile;
using DiffusionEngine.StableDiffusion;
using DiffusionEngine.Unet;
using DiffusionEngine.Vae;
using TestUtilities;

namespace DiffusionEngine.Tests.SingleFile;

/// <summary>A diffusers fixture folder and the single file holding the same weights, with the layout its configs give.</summary>
internal sealed record FixturePair(string Name, string Folder, string SingleFile, string Keymap, CheckpointFamily Family, SingleFileLayout Layout)
{
    public const string Sd1 = "alpha";
    public const string Sdxl = "sdxl-alpha";

    public static FixturePair Get(string name) => name switch
    {
        Sd1 => new(name, AlphaFixture.Folder, SingleFileFixtures.Alpha, SingleFileFixtures.AlphaKeymap, CheckpointFamily.StableDiffusion1,
            SingleFileLayout.StableDiffusion1(UNetLayout.From(UNetConfig.Load(Config(AlphaFixture.Folder, "unet"))), VaeLevels(AlphaFixture.Folder))),
        Sdxl => new(name, SingleFileFixtures.SdxlAlphaFolder, SingleFileFixtures.SdxlAlpha, SingleFileFixtures.SdxlAlphaKeymap, CheckpointFamily.StableDiffusionXL,
            SingleFileModelLoader.LayoutFor(CheckpointFamily.StableDiffusionXL, ModelFolder.Open(SingleFileFixtures.SdxlAlphaFolder))),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    /// <summary>The folder's weights file of a component: its state dict, as the diffusers libraries wrote it.</summary>
    public string Weights(string component) => Directory.GetFiles(Path.Combine(Folder, component), "*.safetensors").Single();

    /// <summary>Every tensor of a component's folder file, as the targets a module of that config expects.</summary>
    public IReadOnlyDictionary<string, TargetTensor> Targets(string component)
    {
        using var file = SafetensorsFile.Open(Weights(component));
        return file.Entries.ToDictionary(kv => kv.Key, kv => new TargetTensor(kv.Value.Shape, kv.Value.Dtype), StringComparer.Ordinal);
    }

    private static string Config(string folder, string component) => Path.Combine(folder, component, "config.json");

    private static int VaeLevels(string folder) => VaeConfig.Load(Config(folder, "vae")).BlockOutChannels.Count;
}

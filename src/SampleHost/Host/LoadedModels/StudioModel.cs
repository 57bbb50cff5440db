using Host.Abstractions;
using SampleHost.Patches;
using DiffusionEngine.Scheduling;
using DiffusionEngine.StableDiffusion;
using DiffusionEngine.Unet;
using TorchSharp;
using static TorchSharp.torch;

namespace SampleHost.LoadedModels;

/// <summary>
/// A loaded Stable Diffusion model as the model cache holds it and plugins see it (<see cref="ILoadedModel"/>):
/// the engine's components, the base-weights fingerprint and the U-Net's weight patches.
/// </summary>
public sealed class StudioModel : ILoadedModel, IDisposable
{
    private readonly WeightPatcher _patches;
    private readonly DdimScheduler _schedule;
    private readonly DdimNoiseSchedule _noiseSchedule;

    public StableDiffusionModel Engine { get; }

    private StudioModel(StableDiffusionModel engine)
    {
        Engine = engine;
        _patches = new WeightPatcher(engine.Unet);
        _schedule = engine.CreateDdimScheduler();
        Fingerprint = TensorFingerprint.Of(engine.Unet.state_dict().Select(kv => (kv.Key, kv.Value)));
        TextEncoder = new PromptEncoder(engine);
        _noiseSchedule = new DdimNoiseSchedule(_schedule);
    }

    /// <summary>The cache's loader: loads the folder's (or the single file's) components onto the key's device and dtype.</summary>
    public static ILoadedModel Load(ModelKey key, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        return new StudioModel(key.IsSingleFile
            ? StableDiffusionModel.LoadSingleFile(key.Folder, key.TorchDevice, key.Dtype, key.Config)
            : StableDiffusionModel.Load(key.Folder, key.TorchDevice, key.Dtype));
    }

    /// <summary>Where the model was loaded from: its folder, or its single-file checkpoint.</summary>
    public string Folder => Engine.SingleFilePath ?? Engine.Folder.Root;
    public string Fingerprint { get; }
    public string? OriginalUnetName(string parameterName) => Engine.OriginalUnetName(parameterName);

    public void Export(string path, ModelFileLayout layout, IReadOnlyList<PatchPart> unetEdits, IReadOnlyDictionary<string, string> metadata, bool overwrite)
    {
        var unet = _patches.Values(unetEdits);
        try
        {
            ModelExport.Write(Engine, path, layout == ModelFileLayout.SingleFile ? ExportLayout.SingleFile : ExportLayout.DiffusersFolder, unet, metadata, overwrite);
        }
        finally
        {
            foreach (var t in unet.Values) t.Dispose();
        }
    }
    public Device Device => Engine.Device;
    public ScalarType Dtype => Engine.Dtype;
    public string Family => Engine.Family.Name();
    public nn.Module Unet => Engine.Unet;

    public Tensor Denoise(Tensor sample, Tensor timestep, Conditioning conditioning) =>
        Engine.Unet.call(sample, timestep, conditioning.HiddenStates, AddedOf(conditioning));

    /// <summary>The engine's added conditions from the contract's (SDXL: text_embeds, time_ids), or null.</summary>
    private AddedConditions? AddedOf(Conditioning c)
    {
        if (!Engine.Unet.Config.UsesTextTime) return c.Added.Count == 0 ? null
            : throw new ArgumentException($"this {Family} model takes no added conditions; got {string.Join(", ", c.Added.Keys)}");
        return c.Added.TryGetValue(TextEmbedsName, out var text) && c.Added.TryGetValue(TimeIdsName, out var ids)
            ? new AddedConditions(text, ids)
            : throw new ArgumentException($"an {Family} model's conditioning needs '{TextEmbedsName}' and '{TimeIdsName}'; got {string.Join(", ", c.Added.Keys)}");
    }

    public const string TextEmbedsName = "text_embeds", TimeIdsName = "time_ids";
    public long[] LatentShape => [Engine.LatentChannels, Engine.ImageSize / Engine.VaeScale, Engine.ImageSize / Engine.VaeScale];
    public ITextEncoder TextEncoder { get; }
    public INoiseSchedule Schedule => _noiseSchedule;
    public IWeightPatches Patches => _patches;

    /// <summary>Counts changes to the live weights (see <see cref="WeightPatcher.Version"/>).</summary>
    public long WeightsVersion => _patches.Version;

    public void Dispose()
    {
        _patches.Dispose();
        _noiseSchedule.Dispose();
        _schedule.Dispose();
        Engine.Dispose();
    }

    public Tensor DecodeLatents(Tensor latents)
    {
        using var decoded = Engine.DecodeLatents(latents);
        return decoded.to(ScalarType.Float32).cpu();
    }

    private sealed class PromptEncoder(StableDiffusionModel engine) : ITextEncoder
    {
        public Conditioning Encode(IReadOnlyList<string> prompts) => Of(engine.EncodePrompts(prompts));

        public int VocabularySize => engine.VocabularySize;

        public IReadOnlyList<long> TokenIds(string text) => engine.Tokenizer.Ids(text);

        public Tensor EmbedTokens(Tensor ids) => engine.EmbedTokens(ids);

        public Conditioning EncodeWithLearnedTokens(string prompt, Tensor learned) => Of(engine.EncodeWithLearnedTokens(prompt, learned));

        private static Conditioning Of(PromptConditioning c) => new(c.HiddenStates, c.Added is null ? null
            : new Dictionary<string, Tensor> { [TextEmbedsName] = c.Added.TextEmbeds, [TimeIdsName] = c.Added.TimeIds });
    }
}

using Newtonsoft.Json.Linq;
using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using DiffusionEngine.Text;
using DiffusionEngine.Unet;
using DiffusionEngine.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionEngine.StableDiffusion;

/// <summary>One component of a model folder as found on disk, checked against the module its config builds.</summary>
public sealed record ComponentInspection(
    string Component, string ClassName, IReadOnlyDictionary<string, object?> Config, long Parameters,
    string? Dtype, string? WeightsFile, long FileBytes, LoadReport Report, string? Error);

/// <summary>
/// Checks a model folder without loading its weights: each module is built from its config on the "meta"
/// device (no memory) and compared, name for name, with its weights file's header.
/// </summary>
public static class ModelInspection
{
    public static IReadOnlyList<ComponentInspection> Inspect(string folder)
    {
        var f = ModelFolder.Open(folder);
        var meta = new Device("meta");
        return
        [
            Component(f, ModelFolder.Unet, "UNet2DConditionModel", path =>
            {
                var c = UNetConfig.Load(path);
                return (new UNet2DConditionModel(c).to(meta), new Dictionary<string, object?>
                {
                    ["block_out_channels"] = c.BlockOutChannels, ["layers_per_block"] = c.LayersPerBlock,
                    ["cross_attention_dim"] = c.CrossAttentionDim, ["attention_head_dim"] = c.AttentionHeads,
                    ["in_channels"] = c.InChannels, ["sample_size"] = c.SampleSize,
                }, null, null);
            }),
            Component(f, ModelFolder.TextEncoder, "CLIPTextModel", path =>
            {
                var c = ClipTextConfig.Load(path);
                return (new ClipTextModel(c, device: meta), new Dictionary<string, object?>
                {
                    ["hidden_size"] = c.HiddenSize, ["num_hidden_layers"] = c.NumHiddenLayers,
                    ["num_attention_heads"] = c.NumAttentionHeads, ["vocab_size"] = c.VocabSize, ["hidden_act"] = c.HiddenAct,
                }, null, ClipTextModel.OptionalTensors);
            }),
            Component(f, ModelFolder.Vae, "AutoencoderKL", path =>
            {
                var c = VaeConfig.Load(path);
                return (new AutoencoderKL(c).to(meta), new Dictionary<string, object?>
                {
                    ["block_out_channels"] = c.BlockOutChannels, ["latent_channels"] = c.LatentChannels,
                    ["scaling_factor"] = c.ScalingFactor, ["sample_size"] = c.SampleSize,
                }, AutoencoderKL.MapLegacyName, null);
            }),
        ];
    }

    private static ComponentInspection Component(ModelFolder f, string component, string className,
        Func<string, (nn.Module Module, Dictionary<string, object?> Config, Func<string, string>? Rename, IReadOnlySet<string>? Optional)> build)
    {
        var empty = new LoadReport(component, [], [], []);
        string? weights = null;
        try
        {
            var (module, config, rename, optional) = build(f.ConfigPath(component));
            using var _ = module;
            long parameters = module.parameters().Sum(p => p.numel());
            weights = f.WeightsPath(component);
            using var file = SafetensorsFile.Open(weights);
            var report = WeightLoader.Check(component, module, file, rename, optional);
            var dtype = file.Entries.Values.Select(e => e.DtypeName).Where(d => d is "F32" or "F16" or "BF16" or "F64")
                .GroupBy(d => d).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();
            return new ComponentInspection(component, className, config, parameters, dtype, weights, file.FileLength, report, null);
        }
        catch (Exception e) when (e is ModelLoadException or SafetensorsException or IOException or Newtonsoft.Json.JsonException or ArgumentException or FormatException or InvalidDataException)
        {
            return new ComponentInspection(component, className, new Dictionary<string, object?>(), 0, null, weights,
                weights is not null && File.Exists(weights) ? LinkedLength(weights) : 0, empty, e.Message);
        }
    }

    public static JObject ToJson(IReadOnlyList<ComponentInspection> components) => new()
    {
        ["components"] = new JObject(components.Select(c => new JProperty(c.Component, new JObject
        {
            ["class"] = c.ClassName,
            ["config"] = JObject.FromObject(c.Config),
            ["parameters"] = c.Parameters,
            ["dtype"] = c.Dtype is null ? null : DtypeWord(c.Dtype),
            ["file"] = c.WeightsFile,
            ["file_bytes"] = c.FileBytes,
            ["missing"] = new JArray(c.Report.Missing),
            ["unexpected"] = new JArray(c.Report.Unexpected),
            ["mismatched"] = new JArray(c.Report.Mismatched),
            ["error"] = c.Error,
        }))),
    };

    public static string DtypeWord(string safetensorsDtype) => safetensorsDtype switch
    {
        "F32" => "float32", "F16" => "float16", "BF16" => "bfloat16", "F64" => "float64", _ => safetensorsDtype.ToLowerInvariant(),
    };

    /// <summary>The length of the file a path names, through symlinks (a Hugging Face cache links every file).</summary>
    private static long LinkedLength(string path)
    {
        var info = new FileInfo(path);
        return (info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info).Length;
    }
}

using Newtonsoft.Json.Linq;
using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using DiffusionEngine.SingleFile;
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
/// Checks a model folder or a single-file checkpoint without loading its weights: each module is built from its config
/// on the "meta" device (no memory) and compared, name for name (or through the single file's key mapping), with the
/// weights' header.
/// </summary>
public static class ModelInspection
{
    private static readonly Device Meta = new("meta");

    /// <param name="path">A model folder in diffusers layout, or a single-file checkpoint (<c>.safetensors</c>).</param>
    /// <param name="config">For a single file: the diffusers folder whose configs describe it (default: the family's published configs, SD 1.5's or SDXL base 1.0's).</param>
    public static ModelInspectionReport Inspect(string path, string? config = null)
    {
        if (File.Exists(path)) return SingleFileInspection.Inspect(path, config);
        if (config is not null)
            throw new ArgumentException($"{path}: a model folder has its own configs; a config folder applies to single-file checkpoints only", nameof(config));
        var f = ModelFolder.Open(path);
        return new ModelInspectionReport
        {
            Path = f.Root,
            Layout = ModelInspectionReport.DiffusersFolder,
            Family = FolderFamily(f),
            Components =
            [
                Component(f, ModelFolder.Unet, "UNet2DConditionModel", BuildUnet),
                Component(f, ModelFolder.TextEncoder, "CLIPTextModel", BuildTextEncoder),
                .. f.Has(ModelFolder.TextEncoder2)
                    ? new[] { Component(f, ModelFolder.TextEncoder2, "CLIPTextModelWithProjection", BuildTextEncoderWithProjection) }
                    : [],
                Component(f, ModelFolder.Vae, "AutoencoderKL", BuildVae),
            ],
        };
    }

    /// <summary>A component's module on the meta device, the config values a report shows, and how its files name tensors.</summary>
    internal sealed record ComponentBuild(nn.Module Module, Dictionary<string, object?> Config, Func<string, string>? Rename, IReadOnlySet<string>? Optional);

    internal static ComponentBuild BuildUnet(string configPath)
    {
        var c = UNetConfig.Load(configPath);
        return new(new UNet2DConditionModel(c).to(Meta), new Dictionary<string, object?>
        {
            ["block_out_channels"] = c.BlockOutChannels, ["layers_per_block"] = c.LayersPerBlock,
            ["cross_attention_dim"] = c.CrossAttentionDim, ["attention_head_dim"] = c.AttentionHeads,
            ["in_channels"] = c.InChannels, ["sample_size"] = c.SampleSize,
        }, null, null);
    }

    internal static ComponentBuild BuildTextEncoder(string configPath)
    {
        var c = ClipTextConfig.Load(configPath);
        return new(new ClipTextModel(c, device: Meta), new Dictionary<string, object?>
        {
            ["hidden_size"] = c.HiddenSize, ["num_hidden_layers"] = c.NumHiddenLayers,
            ["num_attention_heads"] = c.NumAttentionHeads, ["vocab_size"] = c.VocabSize, ["hidden_act"] = c.HiddenAct,
        }, null, ClipTextModel.OptionalTensors);
    }

    internal static ComponentBuild BuildTextEncoderWithProjection(string configPath)
    {
        var c = ClipTextConfig.Load(configPath);
        return new(new ClipTextModelWithProjection(c, device: Meta), new Dictionary<string, object?>
        {
            ["hidden_size"] = c.HiddenSize, ["num_hidden_layers"] = c.NumHiddenLayers, ["num_attention_heads"] = c.NumAttentionHeads,
            ["projection_dim"] = c.ProjectionDim, ["vocab_size"] = c.VocabSize, ["hidden_act"] = c.HiddenAct,
        }, null, ClipTextModel.OptionalTensors);
    }

    internal static ComponentBuild BuildVae(string configPath)
    {
        var c = VaeConfig.Load(configPath);
        return new(new AutoencoderKL(c).to(Meta), new Dictionary<string, object?>
        {
            ["block_out_channels"] = c.BlockOutChannels, ["latent_channels"] = c.LatentChannels,
            ["scaling_factor"] = c.ScalingFactor, ["sample_size"] = c.SampleSize,
        }, AutoencoderKL.MapLegacyName, null);
    }

    /// <summary>The family a folder's pipeline class names (model_index.json's <c>_class_name</c>), or null.</summary>
    private static string? FolderFamily(ModelFolder f)
    {
        try
        {
            var index = JObject.Parse(File.ReadAllText(Path.Combine(f.Root, "model_index.json")));
            return ((index["_class_name"] as JValue)?.Value as string) switch
            {
                "StableDiffusionPipeline" => CheckpointFamilyNames.StableDiffusion1,
                "StableDiffusionXLPipeline" => CheckpointFamilyNames.StableDiffusionXL,
                _ => null,
            };
        }
        catch (Exception e) when (e is IOException or Newtonsoft.Json.JsonException) { return null; }
    }

    /// <summary>The exceptions that mean "this component cannot be checked", reported rather than thrown.</summary>
    internal static bool IsComponentError(Exception e) =>
        e is ModelLoadException or SafetensorsException or IOException or Newtonsoft.Json.JsonException or ArgumentException or FormatException or InvalidDataException;

    private static ComponentInspection Component(ModelFolder f, string component, string className, Func<string, ComponentBuild> build)
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
            var dtype = MainDtype(file.Entries.Values);
            return new ComponentInspection(component, className, config, parameters, dtype, weights, file.FileLength, report, null);
        }
        catch (Exception e) when (IsComponentError(e))
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

    /// <summary>The components as <see cref="ToJson(IReadOnlyList{ComponentInspection})"/> writes them, and the model's layout, family and left-over tensors.</summary>
    public static JObject ToJson(ModelInspectionReport report)
    {
        var json = ToJson(report.Components);
        json["path"] = report.Path;
        json["layout"] = report.Layout;
        json["family"] = report.Family;
        if (report.Layout == ModelInspectionReport.SingleFile)
        {
            json["config"] = report.ConfigFolder;
            json["unexpected"] = new JArray(report.Unexpected);
            json["ignored"] = new JArray(report.Ignored);
        }
        return json;
    }

    /// <summary>The dtype most of a component's tensors have (safetensors' name), ignoring integer buffers.</summary>
    internal static string? MainDtype(IEnumerable<SafetensorsEntry> entries) =>
        entries.Select(e => e.DtypeName).Where(d => d is "F32" or "F16" or "BF16" or "F64")
            .GroupBy(d => d).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();

    public static string DtypeWord(string safetensorsDtype) => safetensorsDtype switch
    {
        "F32" => "float32", "F16" => "float16", "BF16" => "bfloat16", "F64" => "float64", _ => safetensorsDtype.ToLowerInvariant(),
    };

    /// <summary>The length of the file a path names, through symlinks (a Hugging Face cache links every file).</summary>
    internal static long LinkedLength(string path)
    {
        var info = new FileInfo(path);
        return (info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info).Length;
    }
}

using Newtonsoft.Json.Linq;
using DiffusionEngine.Loading;

namespace DiffusionEngine.StableDiffusion;

/// <summary>
/// A model folder in diffusers layout: <c>model_index.json</c> and one subfolder per component with its
/// config and weights. Resolves which file to read for each component and refuses what it must not read.
/// </summary>
public sealed class ModelFolder
{
    public const string Unet = "unet";
    public const string TextEncoder = "text_encoder";
    public const string TextEncoder2 = "text_encoder_2";
    public const string Tokenizer2 = "tokenizer_2";
    public const string Vae = "vae";
    public const string Scheduler = "scheduler";
    public const string Tokenizer = "tokenizer";

    private static readonly string[] PickleExtensions = [".bin", ".ckpt", ".pt", ".pth", ".pkl"];

    public string Root { get; }

    /// <summary>The weights variant to prefer ("fp16" selects <c>*.fp16.safetensors</c>), or null.</summary>
    public string? Variant { get; }

    private ModelFolder(string root, string? variant)
    {
        Root = root;
        Variant = variant;
    }

    public static ModelFolder Open(string path, string? variant = null)
    {
        var root = Path.GetFullPath(path);
        if (!Directory.Exists(root)) throw new ModelLoadException($"{root}: no such model folder");
        var index = Path.Combine(root, "model_index.json");
        if (!File.Exists(index))
            throw new ModelLoadException($"{root}: not a model folder in diffusers layout (model_index.json is missing)");
        try { JObject.Parse(File.ReadAllText(index)); }
        catch (Newtonsoft.Json.JsonReaderException e) { throw new ModelLoadException($"{index}: invalid JSON at line {e.LineNumber}, position {e.LinePosition}: {e.Message}"); }
        return new ModelFolder(root, variant);
    }

    public string ComponentFolder(string component) => Path.Combine(Root, component);

    /// <summary>Whether the folder has this component (a subfolder), e.g. SDXL's text_encoder_2.</summary>
    public bool Has(string component) => Directory.Exists(ComponentFolder(component));

    /// <summary><c>model_index.json</c>'s boolean <paramref name="key"/> (e.g. SDXL's force_zeros_for_empty_prompt), or the default.</summary>
    public bool IndexFlag(string key, bool @default)
    {
        var index = JObject.Parse(File.ReadAllText(Path.Combine(Root, "model_index.json")));
        return index[key] is { Type: JTokenType.Boolean } v ? (bool)v : @default;
    }

    /// <summary>The component's config file (<c>config.json</c>; <c>scheduler_config.json</c> for the scheduler).</summary>
    public string ConfigPath(string component)
    {
        var name = component == Scheduler ? "scheduler_config.json" : "config.json";
        var path = Path.Combine(ComponentFolder(component), name);
        return File.Exists(path) ? path
            : throw new ModelLoadException($"{path}: missing; the {component} component needs its {name}");
    }

    /// <summary>
    /// The component's safetensors weights: the variant file when asked for and present, else the plain one,
    /// else the only <c>.safetensors</c> file. Pickle formats are refused: loading them can run arbitrary code.
    /// </summary>
    public string WeightsPath(string component)
    {
        var dir = ComponentFolder(component);
        if (!Directory.Exists(dir)) throw new ModelLoadException($"{dir}: missing; the model has no {component} folder");
        var baseName = component is TextEncoder or TextEncoder2 ? "model" : "diffusion_pytorch_model";
        var candidates = new List<string>();
        if (Variant is not null) candidates.Add(Path.Combine(dir, $"{baseName}.{Variant}.safetensors"));
        candidates.Add(Path.Combine(dir, $"{baseName}.safetensors"));
        if (Variant is null) candidates.Add(Path.Combine(dir, $"{baseName}.fp16.safetensors"));
        foreach (var c in candidates) if (File.Exists(c)) return c;

        var others = Directory.GetFiles(dir, "*.safetensors");
        if (others.Length == 1) return others[0];
        if (others.Length > 1)
            throw new ModelLoadException($"{dir}: several .safetensors files ({string.Join(", ", others.Select(Path.GetFileName))}) and none named {baseName}.safetensors; cannot tell which holds the {component} weights");

        var pickle = Directory.GetFiles(dir).FirstOrDefault(f => PickleExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase));
        if (pickle is not null)
            throw new ModelLoadException($"{pickle}: refused: pickle files ({string.Join("/", PickleExtensions)}) can run arbitrary code when loaded. Convert the {component} weights to a .safetensors copy ({baseName}.safetensors) and try again");
        throw new ModelLoadException($"{dir}: no {baseName}.safetensors (the {component} weights)");
    }
}

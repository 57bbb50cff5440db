using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;

namespace DiffusionEngine.SingleFile;

/// <summary>
/// A single-file checkpoint in the original key layout (as A1111 and ComfyUI use them), opened and recognised: the
/// memory-mapped safetensors file and its family. Pickle formats, other families and files missing a component are
/// refused naming the file and why.
/// </summary>
internal sealed class SingleFileCheckpoint : IDisposable
{
    private static readonly string[] PickleExtensions = [".ckpt", ".pt", ".pth", ".bin", ".pkl"];

    private SingleFileCheckpoint(SafetensorsFile file, CheckpointFamily family)
    {
        File = file;
        Family = family;
    }

    public SafetensorsFile File { get; }
    public CheckpointFamily Family { get; }
    public string Path => File.Path;

    /// <summary>
    /// Opens and recognises a checkpoint. Throws <see cref="ModelLoadException"/> for a pickle file (by name or content),
    /// another family or a missing component, <see cref="SafetensorsException"/> for a malformed or truncated file.
    /// </summary>
    public static SingleFileCheckpoint Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new ModelLoadException($"{full}: a folder, not a single-file checkpoint (a diffusers model folder loads as a folder)");
        if (PickleExtensions.Contains(System.IO.Path.GetExtension(full), StringComparer.OrdinalIgnoreCase))
            throw new ModelLoadException($"{full}: refused: pickle checkpoints ({string.Join("/", PickleExtensions)}) can run arbitrary code when loaded. Use the model's .safetensors file, or convert this one to safetensors and try again");
        if (!System.IO.File.Exists(full)) throw new FileNotFoundException($"{full}: no such checkpoint file", full);
        RefusePickleContent(full);
        var file = SafetensorsFile.Open(full);
        try
        {
            return new SingleFileCheckpoint(file, Recognise(file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The family a file's keys belong to: SDXL base by its two conditioner embedders, SD 1.x by its CLIP text encoder,
    /// each with its U-Net and VAE. Anything else is refused, naming what the keys look like.
    /// </summary>
    public static CheckpointFamily Recognise(SafetensorsFile file)
    {
        var keys = file.Entries.Keys;
        bool Has(string prefix) => keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
        string path = file.Path;

        if (Has(OriginalKeyPrefixes.SdxlTextEncoder) && Has(OriginalKeyPrefixes.SdxlTextEncoder2))
        {
            RequireComponents(file, CheckpointFamily.StableDiffusionXL, Has, OriginalKeyPrefixes.Unet, OriginalKeyPrefixes.Vae);
            return CheckpointFamily.StableDiffusionXL;
        }
        if (Has(OriginalKeyPrefixes.SdxlRefinerTextEncoder) && !Has(OriginalKeyPrefixes.SdxlTextEncoder2))
            throw new ModelLoadException($"{path}: an SDXL refiner checkpoint (its only text encoder is OpenCLIP under '{OriginalKeyPrefixes.SdxlRefinerTextEncoder}'): this engine reads SD 1.x and SDXL base single files");
        if (Has(OriginalKeyPrefixes.SgmConditioner))
            throw new ModelLoadException($"{path}: an SGM checkpoint whose conditioners ({Describe(keys.Where(k => k.StartsWith(OriginalKeyPrefixes.SgmConditioner, StringComparison.Ordinal)), 3)}) are not SDXL base's CLIP-L ('{OriginalKeyPrefixes.SdxlTextEncoder}') and OpenCLIP bigG ('{OriginalKeyPrefixes.SdxlTextEncoder2}'): this engine reads SD 1.x and SDXL base single files");
        if (Has(OriginalKeyPrefixes.Sd1TextEncoder))
        {
            RequireComponents(file, CheckpointFamily.StableDiffusion1, Has, OriginalKeyPrefixes.Unet, OriginalKeyPrefixes.Vae);
            return CheckpointFamily.StableDiffusion1;
        }
        if (Has(OriginalKeyPrefixes.Sd2TextEncoder))
            throw new ModelLoadException($"{path}: a Stable Diffusion 2.x checkpoint (OpenCLIP ViT-H text encoder under '{OriginalKeyPrefixes.Sd2TextEncoder}'): this engine reads SD 1.x and SDXL base single files");
        if (Has(OriginalKeyPrefixes.Unet))
            throw new ModelLoadException($"{path}: a '{OriginalKeyPrefixes.Unet}' model without a text encoder this engine knows ({Describe(keys, 3)}): not an SD 1.x or SDXL base checkpoint, or a U-Net-only file");
        if (keys.Any(k => k.StartsWith("down_blocks.", StringComparison.Ordinal) || k.StartsWith("text_model.", StringComparison.Ordinal) || k.StartsWith("encoder.down_blocks.", StringComparison.Ordinal)))
            throw new ModelLoadException($"{path}: the weights of one component of a diffusers model folder ({Describe(keys, 3)}), not a single-file checkpoint: load the folder it belongs to");
        throw new ModelLoadException($"{path}: not a Stable Diffusion checkpoint in the original layout: no '{OriginalKeyPrefixes.Unet}' tensors ({(file.Entries.Count == 0 ? "the file holds no tensors" : Describe(keys, 3))})");
    }

    private static void RequireComponents(SafetensorsFile file, CheckpointFamily family, Func<string, bool> has, params string[] prefixes)
    {
        var absent = prefixes.Where(p => !has(p)).ToList();
        if (absent.Count > 0)
            throw new ModelLoadException($"{file.Path}: a {family.Title()} checkpoint without its {string.Join(" and ", absent.Select(Component))} tensors ({string.Join(", ", absent.Select(p => $"'{p}*'"))}): cut short, or a file of only some components");
    }

    private static string Component(string prefix) => prefix switch
    {
        OriginalKeyPrefixes.Unet => "U-Net",
        OriginalKeyPrefixes.Vae => "VAE",
        _ => prefix,
    };

    private static string Describe(IEnumerable<string> keys, int max)
    {
        var list = keys.Order(StringComparer.Ordinal).ToList();
        return "tensors such as " + string.Join(", ", list.Take(max).Select(k => $"'{k}'")) + (list.Count > max ? $", ... ({list.Count} in all)" : "");
    }

    /// <summary>
    /// PyTorch's own checkpoint formats whatever the file is called: a zip archive (torch.save since 1.6) or a bare pickle
    /// stream (protocol 2..5 starts with 0x80 and the protocol number). A safetensors file's header length can begin with
    /// the same bytes, but its header then opens with '{' at byte 8.
    /// </summary>
    private static void RefusePickleContent(string path)
    {
        Span<byte> head = stackalloc byte[9];
        int read;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (read == head.Length && head[8] == (byte)'{') return;
        bool zip = read >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4;
        bool pickle = read >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5;
        if (zip || pickle)
            throw new ModelLoadException($"{path}: refused: the file is a PyTorch {(zip ? "zip archive" : "pickle")} (a .ckpt under another name), not safetensors; pickle checkpoints can run arbitrary code when loaded");
    }

    public void Dispose() => File.Dispose();
}

using DiffusionEngine.IO;
using DiffusionEngine.Safetensors;
using DiffusionEngine.SingleFile;
using DiffusionEngine.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionEngine.StableDiffusion;

/// <summary>How an exported model is laid out on disk.</summary>
public enum ExportLayout
{
    /// <summary>A diffusers folder (model_index.json, a folder per component).</summary>
    DiffusersFolder,

    /// <summary>One .safetensors file in the original (LDM / SGM) key layout, as A1111 and ComfyUI load them.</summary>
    SingleFile,
}

/// <summary>
/// Writes a loaded model as a diffusers folder or as a single file in the original layout, with given U-Net values in
/// place of the module's (an edit), every other tensor as loaded. The single file is each component's tensors under
/// their original names, the load-time transforms undone (1x1 convolutions, OpenCLIP's fused q/k/v and its transposed
/// projection), so loading it gives back exactly these tensors. Nothing half-written is left: the file, or the folder
/// built beside the target, is renamed into place.
/// </summary>
public static class ModelExport
{
    /// <param name="unet">U-Net tensors by diffusers name written instead of the module's (the edited weights); others as they are.</param>
    /// <param name="metadata">Written into every safetensors file of the export.</param>
    public static void Write(StableDiffusionModel model, string path, ExportLayout layout, IReadOnlyDictionary<string, Tensor> unet,
        IReadOnlyDictionary<string, string> metadata, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        if (!overwrite && (File.Exists(full) || Directory.Exists(full)))
            throw new IOException($"{full} exists; pass --overwrite to replace it");
        var names = model.Unet.state_dict().Keys.ToHashSet(StringComparer.Ordinal);
        var unknown = unet.Keys.Where(k => !names.Contains(k)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"not tensors of the model's U-Net: {string.Join(", ", unknown.Take(5))}", nameof(unet));
        if (layout == ExportLayout.SingleFile) WriteSingleFile(model, full, unet, metadata, overwrite);
        else WriteFolder(model, full, unet, metadata, overwrite);
    }

    /// <summary>Each component's module with its state_dict (buffers included), the U-Net's values replaced by <paramref name="unet"/>.</summary>
    private static List<(string Component, Dictionary<string, Tensor> Tensors)> Components(StableDiffusionModel model, IReadOnlyDictionary<string, Tensor> unet)
    {
        var list = new List<(string, Dictionary<string, Tensor>)>
        {
            (ModelFolder.TextEncoder, model.TextEncoder.state_dict()),
        };
        if (model.TextEncoder2 is { } text2) list.Add((ModelFolder.TextEncoder2, text2.state_dict()));
        var u = model.Unet.state_dict();
        foreach (var (name, value) in unet) u[name] = value;
        list.Add((ModelFolder.Unet, u));
        list.Add((ModelFolder.Vae, model.Vae.state_dict()));
        return list;
    }

    private static void WriteSingleFile(StableDiffusionModel model, string path, IReadOnlyDictionary<string, Tensor> unet,
        IReadOnlyDictionary<string, string> metadata, bool overwrite)
    {
        var family = model.Family == ModelFamily.StableDiffusionXL ? CheckpointFamily.StableDiffusionXL : CheckpointFamily.StableDiffusion1;
        var layout = SingleFileModelLoader.LayoutFor(family, model.Unet.Config, model.Vae.Config);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var made = new List<Tensor>();
        try
        {
            foreach (var (component, state) in Components(model, unet))
            {
                var rules = layout.Component(component);
                var slices = new Dictionary<string, SortedDictionary<int, Tensor>>(StringComparer.Ordinal);
                foreach (var (name, value) in state.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    var source = rules.SourceOf(name);
                    if (source is null)
                    {
                        if (rules.IsIgnorable(rules.Prefix + name)) continue;
                        throw new InvalidOperationException($"{component} tensor '{name}' has no name in the {family.Title()} single-file layout");
                    }
                    switch (source.Transform)
                    {
                        case TensorTransform.Copy: tensors[source.Key] = value; break;
                        case TensorTransform.Reshape: tensors[source.Key] = Keep(made, value.reshape([.. value.shape, 1, 1])); break;
                        case TensorTransform.Transpose: tensors[source.Key] = Keep(made, value.t()); break;
                        case TensorTransform.RowSlice slice:
                            if (!slices.TryGetValue(source.Key, out var parts)) slices[source.Key] = parts = new();
                            parts[slice.Index] = value;
                            if (parts.Count == slice.Count) tensors[source.Key] = Keep(made, cat(parts.Values.ToArray(), 0));
                            break;
                        default: throw new InvalidOperationException($"no inverse for {source.Transform.Describe()}");
                    }
                }
                var partial = slices.Where(kv => !tensors.ContainsKey(kv.Key)).Select(kv => kv.Key).ToList();
                if (partial.Count > 0) throw new InvalidOperationException($"{component}: fused tensors with parts missing: {string.Join(", ", partial)}");
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            SafetensorsWriter.Write(path, tensors, metadata, overwrite);
        }
        finally
        {
            foreach (var t in made) t.Dispose();
        }
    }

    private static Tensor Keep(List<Tensor> made, Tensor t)
    {
        made.Add(t);
        return t;
    }

    private static void WriteFolder(StableDiffusionModel model, string path, IReadOnlyDictionary<string, Tensor> unet,
        IReadOnlyDictionary<string, string> metadata, bool overwrite)
    {
        var parent = Directory.CreateDirectory(Path.GetDirectoryName(path)!).FullName;
        var building = Path.Combine(parent, $".{Path.GetFileName(path)}.partial-{Guid.NewGuid():N}");
        try
        {
            var written = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (component, state) in Components(model, unet))
            {
                var folder = Directory.CreateDirectory(Path.Combine(building, component)).FullName;
                var file = Path.Combine(folder, component is ModelFolder.TextEncoder or ModelFolder.TextEncoder2 ? "model.safetensors" : "diffusion_pytorch_model.safetensors");
                SafetensorsWriter.Write(file, state, metadata);
                written.Add(component);
            }
            CopyConfigs(model.Folder.Root, building, written);
            // Tokenizers without their vocabulary (a single file's published configs): the product's CLIP vocabulary.
            foreach (var tokenizer in new[] { ModelFolder.Tokenizer, ModelFolder.Tokenizer2 })
            {
                var folder = Path.Combine(building, tokenizer);
                if (!Directory.Exists(folder)) continue;
                foreach (var name in new[] { ClipTokenizer.VocabFileName, ClipTokenizer.MergesFileName })
                    if (!File.Exists(Path.Combine(folder, name))) File.Copy(Path.Combine(ProductData.ClipBpe, name), Path.Combine(folder, name));
            }
            AtomicFile.MoveFolderIntoPlace(building, path, overwrite);
        }
        finally
        {
            if (Directory.Exists(building)) Directory.Delete(building, recursive: true);
        }
    }

    /// <summary>Everything of the source folder but the weights of the components written anew and hidden entries (a training's state).</summary>
    private static void CopyConfigs(string from, string to, HashSet<string> written)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Any(p => p.StartsWith('.'))) continue;
            if (parts.Length == 2 && written.Contains(parts[0]) && IsWeights(parts[1])) continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static bool IsWeights(string name) =>
        name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".bin", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".ckpt", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase);
}

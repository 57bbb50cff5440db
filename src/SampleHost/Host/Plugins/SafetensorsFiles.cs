using DiffusionEngine.IO;
using DiffusionEngine.Safetensors;
using Host.Abstractions;
using static TorchSharp.torch;

namespace SampleHost.Plugins;

/// <summary>The host's <see cref="ITensorFiles"/>: safetensors through the engine's reader and writer.</summary>
public sealed class SafetensorsFiles : ITensorFiles
{
    public static SafetensorsFiles Instance { get; } = new();

    public TensorFileContents Read(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var name in file.Entries.Keys) tensors[name] = file.Read(name);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return new TensorFileContents(tensors, new Dictionary<string, string>(file.Metadata));
    }

    public TensorFileHeader ReadHeader(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return new TensorFileHeader(new Dictionary<string, string>(file.Metadata),
            file.Entries.Values.ToDictionary(e => e.Name, e => (e.DtypeName, e.Shape)));
    }

    public void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafetensorsWriter.Write(path, tensors, metadata);

    public void WriteNew(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafetensorsWriter.Write(path, tensors, metadata, overwrite: false);

    public void WriteAtomically(string path, Action<string> writeTemporaryFile, bool overwrite = true) =>
        AtomicFile.WriteVia(path, writeTemporaryFile, overwrite);
}

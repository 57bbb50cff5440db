using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Newtonsoft.Json.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionEngine.Safetensors;

/// <summary>
/// A memory-mapped, validated safetensors file. Tensors are copied once, straight from the mapping into
/// their destination (a parameter, or a new CPU tensor); nothing reads the whole file into managed memory.
/// Layout: u64 little-endian header length N, N bytes of JSON header, then the data section.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly long _dataStart;

    public string Path { get; }
    public long FileLength { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    private SafetensorsFile(string path)
    {
        Path = path;
        FileLength = new FileInfo(path).Length;
        if (FileLength < 8) throw new SafetensorsException($"{path}: truncated file ({FileLength} bytes; a safetensors file starts with an 8-byte header length)");

        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;

        long headerLength = *(long*)_base;
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > FileLength)
            throw new SafetensorsException($"{path}: header length {headerLength} does not fit in the file ({FileLength} bytes): truncated or not a safetensors file");
        _dataStart = 8 + headerLength;

        JObject header;
        try { header = JObject.Parse(System.Text.Encoding.UTF8.GetString(_base + 8, (int)headerLength)); }
        catch (Newtonsoft.Json.JsonException e) { throw new SafetensorsException($"{path}: header is not valid JSON ({e.Message})"); }

        var entries = new Dictionary<string, SafetensorsEntry>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, token) in header)
        {
            if (name == "__metadata__")
            {
                if (token is JObject meta)
                    foreach (var (k, v) in meta) metadata[k] = v?.Type == JTokenType.String ? (string)v! : v?.ToString(Newtonsoft.Json.Formatting.None) ?? "";
                continue;
            }
            entries[name] = ParseEntry(path, name, token);
        }
        long dataLength = FileLength - _dataStart;
        foreach (var e in entries.Values)
            if (e.End > dataLength)
                throw new SafetensorsException($"{path}: tensor '{e.Name}' ends at byte {e.End} of the data section, but the file has only {dataLength} data bytes: the file is truncated");
        Entries = entries;
        Metadata = metadata;
    }

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        return new SafetensorsFile(path);
    }

    private static SafetensorsEntry ParseEntry(string path, string name, JToken? token)
    {
        if (token is not JObject o) throw new SafetensorsException($"{path}: header entry '{name}' is not an object");
        var dtypeName = (string?)o["dtype"] ?? throw new SafetensorsException($"{path}: tensor '{name}' has no dtype");
        if (!SafetensorsDtype.TryParse(dtypeName, out var dtype, out var size))
            throw new SafetensorsException($"{path}: tensor '{name}' has unsupported dtype '{dtypeName}'");
        if (o["shape"] is not JArray shapeArray || o["data_offsets"] is not JArray offsets || offsets.Count != 2)
            throw new SafetensorsException($"{path}: tensor '{name}' needs 'shape' and a two-element 'data_offsets'");
        var shape = shapeArray.Select(v => (long)v).ToArray();
        long begin = (long)offsets[0], end = (long)offsets[1];
        long expected = shape.Aggregate(1L, (a, b) => a * b) * size;
        if (begin < 0 || end < begin || end - begin != expected)
            throw new SafetensorsException($"{path}: tensor '{name}' ({dtypeName} [{string.Join(", ", shape)}]) should hold {expected} bytes but its data_offsets are [{begin}, {end}]");
        return new SafetensorsEntry(name, dtypeName, dtype, shape, begin, end);
    }

    public SafetensorsEntry Entry(string name) =>
        Entries.TryGetValue(name, out var e) ? e : throw new SafetensorsException($"{Path}: no tensor named '{name}'");

    /// <summary>A new CPU tensor with the file's dtype and shape.</summary>
    public Tensor Read(string name)
    {
        var e = Entry(name);
        var t = empty(e.Shape, e.Dtype, CPU);
        CopyBytes(e, t);
        return t;
    }

    /// <summary>
    /// Copies a tensor into <paramref name="destination"/> (same shape; dtype and device may differ). A CPU,
    /// contiguous destination of the file's dtype receives the bytes directly from the mapping.
    /// </summary>
    public void CopyInto(string name, Tensor destination)
    {
        var e = Entry(name);
        if (!destination.shape.SequenceEqual(e.Shape))
            throw new SafetensorsException($"{Path}: tensor '{name}' has shape [{string.Join(", ", e.Shape)}], expected [{string.Join(", ", destination.shape)}]");
        using var noGrad = no_grad();
        if (destination.device_type == DeviceType.CPU && destination.dtype == e.Dtype && destination.is_contiguous())
        {
            CopyBytes(e, destination);
            return;
        }
        using var staging = Read(name);
        destination.copy_(staging);
    }

    private void CopyBytes(SafetensorsEntry e, Tensor cpuContiguous)
    {
        if (e.ByteLength == 0) return;
        byte* src = _base + _dataStart + e.Begin;
        // Tensor.bytes aliases the tensor's own CPU storage.
        fixed (byte* dst = cpuContiguous.bytes)
            Buffer.MemoryCopy(src, dst, e.ByteLength, e.ByteLength);
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }
}

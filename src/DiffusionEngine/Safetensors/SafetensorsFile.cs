using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using Newtonsoft.Json;
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
        // Opened first, through any symlink (a Hugging Face cache links every file): the length is the target's.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        FileLength = stream.Length;
        if (FileLength < 8) throw new SafetensorsException($"{path}: truncated file ({FileLength} bytes; a safetensors file starts with an 8-byte header length)");

        _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;

        long headerLength = *(long*)_base;
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > FileLength)
            throw new SafetensorsException(headerLength > MaxHeaderBytes && 8 + headerLength <= FileLength
                ? $"{path}: header length {headerLength:N0} bytes is over the format's limit of {MaxHeaderBytes:N0}"
                : $"{path}: header length {headerLength} does not fit in the file ({FileLength} bytes): truncated or not a safetensors file");
        _dataStart = 8 + headerLength;

        JObject header;
        try
        {
            var text = StrictUtf8.GetString(_base + 8, (int)headerLength);
            using var reader = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal };
            header = JToken.ReadFrom(reader, new JsonLoadSettings { DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error }) as JObject
                ?? throw new SafetensorsException($"{path}: the header is not a JSON object");
            while (reader.Read())
                if (reader.TokenType != JsonToken.Comment) throw new SafetensorsException($"{path}: the header has content after its JSON object");
        }
        catch (DecoderFallbackException) { throw new SafetensorsException($"{path}: the header is not valid UTF-8"); }
        catch (JsonException e) { throw new SafetensorsException($"{path}: the header is not valid JSON ({e.Message})"); }

        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, token) in header)
        {
            if (name == "__metadata__")
            {
                if (token is not JObject meta) throw new SafetensorsException($"{path}: '__metadata__' must be an object of strings");
                foreach (var (k, v) in meta)
                    metadata[k] = v?.Type == JTokenType.String ? (string)v!
                        : throw new SafetensorsException($"{path}: metadata field '{k}' must be a string, found {v?.Type.ToString().ToLowerInvariant() ?? "nothing"}");
                continue;
            }
            entries[name] = ParseEntry(path, name, token);
        }
        CheckLayout(path, entries.Values, FileLength - _dataStart);
        Entries = entries;
        Metadata = metadata;
    }

    private static readonly System.Text.Encoding StrictUtf8 = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true);

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        try { return new SafetensorsFile(path); }
        catch (Exception e) when (e is IOException and not (FileNotFoundException or SafetensorsException) || e is UnauthorizedAccessException)
        {
            throw new SafetensorsException($"{path}: cannot be read ({e.Message})");
        }
    }

    /// <summary>
    /// The format's layout rule: the tensors' byte ranges, taken in order, tile the data section exactly, from its first
    /// byte to its last, without gaps or overlaps.
    /// </summary>
    private static void CheckLayout(string path, IEnumerable<SafetensorsEntry> entries, long dataLength)
    {
        long next = 0;
        SafetensorsEntry? previous = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < next)
                throw new SafetensorsException($"{path}: tensor '{e.Name}' (bytes {e.Begin}..{e.End}) overlaps tensor '{previous!.Name}' (bytes {previous.Begin}..{previous.End})");
            if (e.Begin > next)
                throw new SafetensorsException($"{path}: the data section has a gap at bytes {next}..{e.Begin} before tensor '{e.Name}'");
            if (e.End > dataLength)
                throw new SafetensorsException($"{path}: tensor '{e.Name}' ends at byte {e.End} of the data section, but the file has only {dataLength} data bytes: the file is truncated");
            next = e.End;
            previous = e;
        }
        if (next != dataLength)
            throw new SafetensorsException($"{path}: the data section has {dataLength - next} bytes after its last tensor (the format allows none)");
    }

    private static SafetensorsEntry ParseEntry(string path, string name, JToken? token)
    {
        SafetensorsException Bad(string field, string problem) => new($"{path}: tensor '{name}': field '{field}' {problem}");
        if (token is not JObject o) throw new SafetensorsException($"{path}: header entry '{name}' is not an object");
        foreach (var (field, _) in o)
            if (field is not ("dtype" or "shape" or "data_offsets")) throw Bad(field, "is not a field of a tensor entry (dtype, shape, data_offsets)");
        if (o["dtype"] is not { Type: JTokenType.String } dtypeToken) throw Bad("dtype", "must be a string");
        var dtypeName = (string)dtypeToken!;
        if (!SafetensorsDtype.TryParse(dtypeName, out var dtype, out var size)) throw Bad("dtype", $"is '{dtypeName}', which this engine does not read");
        if (o["shape"] is not JArray shapeArray) throw Bad("shape", "must be an array of non-negative integers");
        if (o["data_offsets"] is not JArray offsets || offsets.Count != 2) throw Bad("data_offsets", "must be an array of two non-negative integers");
        var shape = shapeArray.Select(v => Natural(v) ?? throw Bad("shape", $"must be an array of non-negative integers, found {v.ToString(Formatting.None)}")).ToArray();
        long begin = Natural(offsets[0]) ?? throw Bad("data_offsets", $"must hold non-negative integers, found {offsets[0].ToString(Formatting.None)}");
        long end = Natural(offsets[1]) ?? throw Bad("data_offsets", $"must hold non-negative integers, found {offsets[1].ToString(Formatting.None)}");
        long expected;
        try { expected = checked(shape.Aggregate(1L, (a, b) => a * b) * size); }
        catch (OverflowException) { throw Bad("shape", $"[{string.Join(", ", shape)}] holds more bytes than any file can"); }
        if (end < begin || end - begin != expected)
            throw new SafetensorsException($"{path}: tensor '{name}' ({dtypeName} [{string.Join(", ", shape)}]) should hold {expected} bytes but its data_offsets are [{begin}, {end}]");
        return new SafetensorsEntry(name, dtypeName, dtype, shape, begin, end);
    }

    /// <summary>A JSON integer in 0..long.MaxValue, else null.</summary>
    private static long? Natural(JToken token) =>
        token is JValue { Type: JTokenType.Integer, Value: var v } && v is long or int && Convert.ToInt64(v) is var n && n >= 0 ? n : null;

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

    /// <summary>
    /// Copies rows <paramref name="firstRow"/> .. <paramref name="firstRow"/> + <paramref name="rowCount"/> of a tensor's
    /// first dimension into <paramref name="destination"/> (shape [rowCount, ...the rest]; dtype and device may differ):
    /// one part of a fused projection, read from the mapping without reading the whole tensor. Rows are contiguous bytes
    /// in the file's row-major layout.
    /// </summary>
    internal void CopyRowsInto(string name, long firstRow, long rowCount, Tensor destination)
    {
        var e = Entry(name);
        if (e.Shape.Length == 0 || firstRow < 0 || rowCount < 0 || firstRow + rowCount > e.Shape[0])
            throw new SafetensorsException($"{Path}: tensor '{name}' [{string.Join(", ", e.Shape)}] has no rows {firstRow}..{firstRow + rowCount}");
        long[] shape = [rowCount, .. e.Shape[1..]];
        if (!destination.shape.SequenceEqual(shape))
            throw new SafetensorsException($"{Path}: rows {firstRow}..{firstRow + rowCount} of tensor '{name}' have shape [{string.Join(", ", shape)}], expected [{string.Join(", ", destination.shape)}]");
        long rowBytes = e.Shape[0] == 0 ? 0 : e.ByteLength / e.Shape[0];
        long begin = e.Begin + firstRow * rowBytes, length = rowCount * rowBytes;
        using var noGrad = no_grad();
        if (destination.device_type == DeviceType.CPU && destination.dtype == e.Dtype && destination.is_contiguous())
        {
            CopyRange(begin, length, destination);
            return;
        }
        using var staging = empty(shape, e.Dtype, CPU);
        CopyRange(begin, length, staging);
        destination.copy_(staging);
    }

    private void CopyBytes(SafetensorsEntry e, Tensor cpuContiguous) => CopyRange(e.Begin, e.ByteLength, cpuContiguous);

    /// <param name="begin">Offset within the data section.</param>
    private void CopyRange(long begin, long length, Tensor cpuContiguous)
    {
        if (length == 0) return;
        byte* src = _base + _dataStart + begin;
        // Tensor.bytes aliases the tensor's own CPU storage.
        fixed (byte* dst = cpuContiguous.bytes)
            Buffer.MemoryCopy(src, dst, length, length);
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

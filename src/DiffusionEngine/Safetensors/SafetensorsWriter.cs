using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using static TorchSharp.torch;
using DiffusionEngine.IO;

namespace DiffusionEngine.Safetensors;

/// <summary>Writes tensors as a safetensors file, atomically (temporary file, then rename into place).</summary>
public static class SafetensorsWriter
{
    /// <param name="overwrite">false: refuse (IOException) when <paramref name="path"/> exists, checked as the file is renamed into place.</param>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        bool overwrite = true)
    {
        var list = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var header = new JObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JObject(metadata.Select(kv => new JProperty(kv.Key, kv.Value)));
        long offset = 0;
        var cpu = new List<Tensor>(list.Count);
        try
        {
            foreach (var (name, t) in list)
            {
                var c = t.detach().cpu().contiguous();
                cpu.Add(c);
                long bytes = c.numel() * SafetensorsDtype.SizeOf(c.dtype);
                header[name] = new JObject
                {
                    ["dtype"] = SafetensorsDtype.NameOf(c.dtype),
                    ["shape"] = new JArray(c.shape.Select(s => (object)s).ToArray()),
                    ["data_offsets"] = new JArray(offset, offset + bytes),
                };
                offset += bytes;
            }
            var json = Encoding.UTF8.GetBytes(header.ToString(Formatting.None));
            int pad = (8 - json.Length % 8) % 8; // keeps the data section 8-byte aligned
            var headerBytes = new byte[json.Length + pad];
            json.CopyTo(headerBytes, 0);
            for (int i = json.Length; i < headerBytes.Length; i++) headerBytes[i] = (byte)' ';

            AtomicFile.Write(path, fs =>
            {
                fs.Write(BitConverter.GetBytes((ulong)headerBytes.Length));
                fs.Write(headerBytes);
                foreach (var c in cpu) WriteData(fs, c);
            }, overwrite);
        }
        finally
        {
            foreach (var c in cpu) c.Dispose();
        }
    }

    private static void WriteData(Stream s, Tensor contiguousCpu)
    {
        if (contiguousCpu.numel() > 0) s.Write(contiguousCpu.bytes);
    }
}

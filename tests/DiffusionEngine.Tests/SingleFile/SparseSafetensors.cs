using System.Text;
using DiffusionEngine.IO;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace DiffusionEngine.Tests.SingleFile;

/// <summary>
/// Writes a valid safetensors file of any size without writing its data: the header, then the file extended to its
/// length, so the data section is a hole the file system does not store (it reads as zeros).
/// </summary>
public static class SparseSafetensors
{
    public static void Write(string path, IEnumerable<Sd15OriginalKeys.Tensor> tensors)
    {
        var header = new JObject();
        long offset = 0;
        foreach (var t in tensors)
        {
            long bytes = t.Shape.Aggregate(1L, (a, b) => a * b) * t.Dtype switch { "F16" => 2, "F32" or "I32" => 4, "I64" => 8, _ => throw new ArgumentException(t.Dtype) };
            header[t.Name] = new JObject
            {
                ["dtype"] = t.Dtype,
                ["shape"] = new JArray(t.Shape.Select(s => (object)s).ToArray()),
                ["data_offsets"] = new JArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToString(Formatting.None));
        var padded = new byte[(json.Length + 7) / 8 * 8];
        Array.Fill(padded, (byte)' ');
        json.CopyTo(padded, 0);
        AtomicFile.Write(path, stream =>
        {
            stream.Write(BitConverter.GetBytes((ulong)padded.Length));
            stream.Write(padded);
            stream.SetLength(8 + padded.Length + offset);
        });
    }
}

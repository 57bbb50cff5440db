using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Host.Abstractions;

/// <summary>
/// A stable SHA-256 (lowercase hex) of named tensors: for each tensor in ordinal name order, its name,
/// dtype, shape and raw bytes. Identifies "these exact values" (a base model's weights, or the originals a
/// delta replaces) independently of enumeration order and device. Shared by hosts and plugins so that both
/// compute the same value. Tensors are hashed one at a time;
/// only tensors off the CPU or not contiguous are copied.
/// </summary>
public static class TensorFingerprint
{
    /// <summary>The fingerprint of <paramref name="tensors"/>; names must be unique.</summary>
    public static string Of(IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var ordered = tensors.ToList();
        ordered.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        for (int i = 1; i < ordered.Count; i++)
            if (ordered[i].Name == ordered[i - 1].Name)
                throw new ArgumentException($"tensor '{ordered[i].Name}' is named twice", nameof(tensors));

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in ordered)
        {
            // Length-prefixed fields, so that no two different inputs share a byte stream.
            AppendField(hash, name);
            AppendField(hash, tensor.dtype.ToString());
            AppendField(hash, string.Join(",", tensor.shape.Select(d => d.ToString(CultureInfo.InvariantCulture))));
            AppendBytes(hash, tensor);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void AppendField(IncrementalHash hash, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }

    private static void AppendBytes(IncrementalHash hash, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var t = tensor.detach();
        if (t.device_type != DeviceType.CPU) t = t.cpu();
        if (!t.is_contiguous()) t = t.contiguous();
        long size = t.NumberOfElements * t.ElementSize;
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(length, size);
        hash.AppendData(length);
        if (size == 0) return;
        if (size <= int.MaxValue) hash.AppendData(t.bytes);
        else t.WriteBytesToStream(new HashingStream(hash), 1 << 20);
    }

    /// <summary>A write-only stream into a hash, for tensors too large for one span.</summary>
    private sealed class HashingStream(IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => hash.AppendData(buffer, offset, count);
    }
}

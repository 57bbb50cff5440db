using System.Security.Cryptography;
using System.Text;
using Host.Abstractions;
using static TorchSharp.torch;

namespace EsdPlugin.Deltas;

/// <summary>
/// Vouches for the deltas this installation trained: an HMAC-SHA256, under a key of this installation kept in the
/// plugin's data folder (<c>keys/delta-signing.key</c>, created on first use, readable by its owner only), over every
/// metadata field and the fingerprint of every tensor (name, dtype, shape, bytes). The blocklist guard accepts only
/// deltas whose signature checks: a delta whose concepts were edited, or a file from elsewhere (the authors' scripts,
/// another installation), may be loaded by hand but never satisfies a blocklist. This protects against edited and
/// foreign files, not against someone who can read the data folder (and so the key).
/// </summary>
internal sealed class DeltaSigner(string keyPath, ITensorFiles files)
{
    public const string Field = "signature";
    private const int KeyBytes = 32;
    private static readonly byte[] Domain = Encoding.UTF8.GetBytes("esd-delta-signature-v1");
    private byte[]? _key;
    private readonly object _gate = new();

    public string KeyPath => keyPath;

    /// <summary>The signature of a delta's metadata (without its signature field) and tensors.</summary>
    public string Sign(IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, Tensor> tensors)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Key());
        hmac.AppendData(Domain);
        foreach (var (name, value) in metadata.Where(kv => kv.Key != Field).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Append(hmac, name);
            Append(hmac, value);
        }
        Append(hmac, TensorFingerprint.Of(tensors.Select(kv => (kv.Key, kv.Value))));
        return Convert.ToHexStringLower(hmac.GetHashAndReset());
    }

    /// <summary>Whether the file's signature is this installation's for exactly its metadata and tensors.</summary>
    public bool Verify(TensorFileContents contents)
    {
        if (!contents.Metadata.TryGetValue(Field, out var claimed) || claimed.Length != 64) return false;
        byte[] expected = Convert.FromHexString(Sign(contents.Metadata, contents.Tensors));
        byte[] given;
        try { given = Convert.FromHexString(claimed); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private byte[] Key()
    {
        lock (_gate)
        {
            if (_key is not null) return _key;
            if (!File.Exists(keyPath))
            {
                try
                {
                    // Created once: when two processes race, the first key written wins and the other reads it.
                    files.WriteAtomically(keyPath, temp =>
                    {
                        File.WriteAllBytes(temp, RandomNumberGenerator.GetBytes(KeyBytes));
                        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    }, overwrite: false);
                }
                catch (IOException) when (File.Exists(keyPath)) { }
            }
            var key = File.ReadAllBytes(keyPath);
            if (key.Length != KeyBytes)
                throw new InvalidDataException($"{keyPath}: the delta signing key is damaged ({key.Length} bytes, expected {KeyBytes}); " +
                    "delete it to make a new one (the deltas signed with it will then need training again to satisfy a blocklist)");
            return _key = key;
        }
    }

    private static void Append(IncrementalHash hash, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}

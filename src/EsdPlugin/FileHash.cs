using System.Security.Cryptography;

namespace EsdPlugin;

/// <summary>A file's SHA-256 in lower-case hex: what stamps, checkpoints and exports record of the files they name.</summary>
internal static class FileHash
{
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

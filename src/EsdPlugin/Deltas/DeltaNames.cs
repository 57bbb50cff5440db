using System.Security.Cryptography;
using System.Text;

namespace EsdPlugin.Deltas;

/// <summary>
/// Names of deltas in the store and the files they become. A name is at most <see cref="MaxLength"/> characters of
/// letters, digits, '-', '_', '+' and '.'; other characters become '-' in the file name.
/// </summary>
internal static class DeltaNames
{
    public const int MaxLength = 100;

    /// <summary>
    /// The default name of an edit: its concepts and method ("star+striped-esd-x"). A long one keeps its start and
    /// gets 8 hex digits of the whole name's SHA-256, so that it still fits a file name and stays distinct.
    /// </summary>
    public static string Default(IEnumerable<string> concepts, string method, string prefix = "")
    {
        var full = prefix + string.Join("+", concepts.Select(c => c.Replace(' ', '-'))) + "-" + method;
        var clean = Clean(full);
        if (clean.Length <= MaxLength) return clean;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..8];
        return clean[..(MaxLength - hash.Length - 1 - method.Length - 1)].TrimEnd('-', '.', '+') + "-" + hash + "-" + method;
    }

    /// <summary>The file name (without extension) of <paramref name="name"/>; refuses, naming the problem, what cannot name a delta.</summary>
    public static string FileNameOf(string name)
    {
        var clean = Clean(name);
        if (clean.Length == 0) throw new ArgumentException($"'{name}' cannot name a delta: use letters, digits, '-', '_', '+' or '.'");
        if (clean.Length > MaxLength)
            throw new ArgumentException($"a delta name may have at most {MaxLength} characters; '{clean[..20]}…' has {clean.Length}");
        return clean;
    }

    private static string Clean(string name) =>
        new string(name.Trim().Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '+' ? c : '-').ToArray()).Trim('.', '-');
}

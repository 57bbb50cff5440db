using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EsdPlugin.Deltas;

/// <summary>
/// Edits applied together (their differences from the base summed, each at its strength) and the stamp they leave on
/// the model. One edit at strength 1 leaves its own stamp, so it is the same live edit however it was loaded.
/// </summary>
internal sealed record Composition(string Stamp, IReadOnlyList<EditPart> Parts)
{
    public static Composition Of(IReadOnlyList<EditPart> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("a composition needs at least one edit", nameof(parts));
        if (parts is [{ Strength: 1 } only]) return new Composition(only.Stamp, parts);
        var text = string.Join(";", parts.Select(p => $"{p.Stamp}@{p.Strength.ToString("R", CultureInfo.InvariantCulture)}"));
        return new Composition("esd-mix:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16], parts);
    }

    /// <summary>"'a' + 'b' at 0.5".</summary>
    public string Describe() => string.Join(" + ", Parts.Select(p =>
        $"'{p.Name}'" + (p.Strength == 1 ? "" : $" at {p.Strength.ToString("0.###", CultureInfo.InvariantCulture)}")));
}

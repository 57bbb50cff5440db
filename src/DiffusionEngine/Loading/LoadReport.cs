namespace DiffusionEngine.Loading;

/// <summary>How a component's weight files matched its module tree, name for name.</summary>
public sealed record LoadReport(
    string Component,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> Mismatched)
{
    public bool IsClean => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;

    public string Describe(int max = 10)
    {
        static string List(IReadOnlyList<string> xs, int max) =>
            string.Join(", ", xs.Take(max)) + (xs.Count > max ? $", ... ({xs.Count} in all)" : "");
        var parts = new List<string>();
        if (Missing.Count > 0) parts.Add($"missing tensors: {List(Missing, max)}");
        if (Unexpected.Count > 0) parts.Add($"unexpected tensors: {List(Unexpected, max)}");
        if (Mismatched.Count > 0) parts.Add($"mismatched tensors: {List(Mismatched, max)}");
        return parts.Count == 0 ? $"{Component}: all tensors match" : $"{Component}: " + string.Join("; ", parts);
    }
}

/// <summary>A component's weights do not match its module tree; nothing was half-loaded into a live model.</summary>
public sealed class ModelLoadException(string message) : Exception(message);

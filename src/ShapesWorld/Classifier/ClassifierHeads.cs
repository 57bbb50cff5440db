namespace ShapesWorld.Classifier;

/// <summary>The attributes the classifier names, each with its values (output order of its head).</summary>
public static class ClassifierHeads
{
    /// <summary>The shape head's answer for an image with no recognisable shape (a blob, a blur, fragments).</summary>
    public const string NoShape = "none";

    public static readonly IReadOnlyList<(string Attribute, IReadOnlyList<string> Values)> All =
    [
        ("shape", [.. WorldInventory.Shapes, NoShape]),
        ("color", WorldInventory.Colors),
        ("style", WorldInventory.Styles),
        ("background", WorldInventory.Backgrounds),
    ];

    public static IReadOnlyList<string> Values(string attribute) =>
        All.FirstOrDefault(h => h.Attribute == attribute).Values ?? throw new ArgumentException($"unknown attribute '{attribute}'", nameof(attribute));
}

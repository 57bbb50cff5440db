namespace ShapesWorld.Classifier;

/// <summary>The attributes the classifier names, each with its inventory (output order of its head).</summary>
public static class ClassifierHeads
{
    public static readonly IReadOnlyList<(string Attribute, IReadOnlyList<string> Values)> All =
    [
        ("shape", WorldInventory.Shapes),
        ("color", WorldInventory.Colors),
        ("style", WorldInventory.Styles),
        ("background", WorldInventory.Backgrounds),
    ];
}

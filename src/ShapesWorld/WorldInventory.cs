namespace ShapesWorld;

/// <summary>
/// The fixed vocabulary of the bundled model's synthetic world. Other work (prompt files, ESD tests,
/// the classifier's heads) relies on these exact words and their order.
/// </summary>
public static class WorldInventory
{
    public static readonly IReadOnlyList<string> Shapes = ["circle", "square", "triangle", "star", "heart", "cross", "diamond", "moon"];
    public static readonly IReadOnlyList<string> Colors = ["red", "green", "blue", "yellow", "purple", "orange"];
    public static readonly IReadOnlyList<string> Styles = ["flat", "striped", "dotted", "outlined"];
    public static readonly IReadOnlyList<string> Backgrounds = ["white", "black"];

    /// <summary>sRGB of each colour, 0..1.</summary>
    public static readonly IReadOnlyDictionary<string, (float R, float G, float B)> Rgb = new Dictionary<string, (float, float, float)>
    {
        ["red"] = (0.90f, 0.10f, 0.10f),
        ["green"] = (0.10f, 0.75f, 0.15f),
        ["blue"] = (0.15f, 0.25f, 0.95f),
        ["yellow"] = (0.98f, 0.90f, 0.10f),
        ["purple"] = (0.60f, 0.15f, 0.80f),
        ["orange"] = (1.00f, 0.55f, 0.05f),
        ["white"] = (1f, 1f, 1f),
        ["black"] = (0f, 0f, 0f),
    };

    /// <summary>The attribute an inventory word belongs to ("shape", "color", "style", "background"), or null.</summary>
    public static string? AttributeOf(string word) =>
        Shapes.Contains(word) ? "shape" : Colors.Contains(word) ? "color" : Styles.Contains(word) ? "style" : Backgrounds.Contains(word) ? "background" : null;
}

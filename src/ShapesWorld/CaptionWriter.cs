namespace ShapesWorld;

/// <summary>
/// Varied English captions for scenes. Any attribute may be left out (the model then learns to draw it at
/// random) and some captions are empty, so that classifier-free guidance has an unconditional mode.
/// </summary>
public static class CaptionWriter
{
    private static readonly Dictionary<string, string[]> StyleAdjectives = new()
    {
        ["flat"] = ["flat", "solid", "filled"],
        ["striped"] = ["striped"],
        ["dotted"] = ["dotted", "polka-dot"],
        ["outlined"] = ["outlined", "hollow"],
    };

    private static readonly Dictionary<string, string[]> StylePhrases = new()
    {
        ["flat"] = ["filled with solid colour", "in a flat style", "drawn in flat style"],
        ["striped"] = ["with stripes", "drawn in striped style", "covered in stripes"],
        ["dotted"] = ["with dots", "drawn in dotted style", "covered in dots"],
        ["outlined"] = ["drawn as an outline", "drawn in outlined style", "in outline"],
    };

    /// <summary>Probability that the whole caption is empty.</summary>
    public const double EmptyProbability = 0.1;

    public static string Write(Scene scene, Random rng)
    {
        if (rng.NextDouble() < EmptyProbability) return "";
        bool shape = rng.NextDouble() < 0.85, color = rng.NextDouble() < 0.8, style = rng.NextDouble() < 0.7, bg = rng.NextDouble() < 0.3;
        return Compose(rng, shape ? scene.Shape : null, color ? scene.Color : null, style ? scene.Style : null, bg ? scene.Background : null);
    }

    /// <summary>A caption naming exactly the given attributes (null ones are not mentioned).</summary>
    public static string Compose(Random rng, string? shape, string? color, string? style, string? background)
    {
        string noun = shape ?? (rng.Next(2) == 0 ? "shape" : "figure");
        bool styleAsAdjective = style is not null && rng.Next(2) == 0;
        var words = new List<string>();
        if (styleAsAdjective) words.Add(Pick(rng, StyleAdjectives[style!]));
        if (color is not null) words.Add(color);
        words.Add(noun);
        var text = string.Join(' ', words);
        if (style is not null && !styleAsAdjective) text += " " + Pick(rng, StylePhrases[style]);
        if (background is not null) text += rng.Next(2) == 0 ? $" on a {background} background" : $" on {background}";
        return Article(text) + " " + text;
    }

    private static string Article(string next) => "aeiou".Contains(next[0]) ? "an" : "a";

    private static string Pick(Random rng, string[] xs) => xs[rng.Next(xs.Length)];
}

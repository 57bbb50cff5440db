namespace ShapesWorld;

/// <summary>
/// Captions for scenes phrased the way people type prompts: attributes in any order, as adjectives, phrases,
/// relative clauses or comma lists ("circle, orange, flat"); synonyms for styles and backgrounds ("with
/// stripes", "a striped look", "hollow"); framing sentences ("the picture shows ..."), and filler words that say
/// nothing about the scene ("nice", "simple", "high quality"), which the model must learn to ignore. Any
/// attribute may be left out (the model then draws it at random) and some captions are empty, so that
/// classifier-free guidance has an unconditional mode. Only the inventory's words and these synonyms name an
/// attribute: no filler word or framing ever does.
/// </summary>
public static class CaptionWriter
{
    /// <summary>Probability that the whole caption is empty.</summary>
    public const double EmptyProbability = 0.1;

    /// <summary>Style words that go before the noun.</summary>
    internal static readonly IReadOnlyDictionary<string, string[]> StyleAdjectives = new Dictionary<string, string[]>
    {
        ["flat"] = ["flat", "flat", "solid", "filled", "plain", "solid-coloured"],
        ["striped"] = ["striped", "striped", "striped", "stripy"],
        ["dotted"] = ["dotted", "dotted", "polka-dot", "spotted", "dotty"],
        ["outlined"] = ["outlined", "outlined", "hollow", "outline"],
    };

    /// <summary>Style phrases that go after the noun.</summary>
    internal static readonly IReadOnlyDictionary<string, string[]> StylePhrases = new Dictionary<string, string[]>
    {
        ["flat"] = ["in a flat style", "filled with solid colour", "with a flat fill", "in flat style", "solid filled", "with a flat look"],
        ["striped"] = ["with stripes", "in a striped style", "covered in stripes", "with a striped look", "with a striped pattern", "in stripes"],
        ["dotted"] = ["with dots", "in a dotted style", "covered in dots", "with polka dots", "with a dotted pattern", "with a dotted look"],
        ["outlined"] = ["drawn as an outline", "in an outlined style", "in outline", "with an outline only", "as line art", "with a hollow look"],
    };

    /// <summary>Style words for comma lists and "that is ..." clauses.</summary>
    internal static readonly IReadOnlyDictionary<string, string[]> StylePredicates = new Dictionary<string, string[]>
    {
        ["flat"] = ["flat", "solid", "filled"],
        ["striped"] = ["striped", "stripy"],
        ["dotted"] = ["dotted", "spotted"],
        ["outlined"] = ["outlined", "hollow"],
    };

    internal static readonly string[] ColorForms = ["{0}", "{0}", "{0}", "{0}", "{0}-coloured", "{0} colored", "{0}-colored"];
    internal static readonly string[] ColorPhrases = ["in {0}", "coloured {0}", "colored {0}", "painted {0}", "in the colour {0}"];

    internal static readonly string[] BackgroundPhrases =
        ["on a {0} background", "on {0}", "on a {0} background", "against a {0} background", "with a {0} background", "over {0}"];
    internal static readonly string[] BackgroundListItems = ["{0} background", "on {0}", "{0} backdrop"];

    internal static readonly string[] Frames =
    [
        "{0}", "{0}", "{0}", "{0}", "a picture of {0}", "an image of {0}", "the picture shows {0}", "this is {0}", "here is {0}",
        "draw {0}", "i want {0}", "{0}, please", "a drawing of {0}", "an illustration of {0}", "an icon of {0}", "there is {0}",
        "{0} in the picture", "clip art of {0}", "a photo of {0}", "make me {0}", "please draw {0}", "generate {0}",
        "{0}, high quality", "{0}, simple", "{0}, centered", "a cute drawing of {0}", "show {0}",
    ];

    /// <summary>Words that say nothing about the scene, placed before the noun phrase.</summary>
    internal static readonly string[] Fillers = ["nice", "simple", "little", "big", "small", "cute", "pretty", "single", "lovely", "cool", "tiny", "large", "neat"];

    internal static readonly string[] ShapelessNouns = ["shape", "shape", "figure", "thing", "object", "form"];

    public static string Write(Scene scene, Random rng)
    {
        if (rng.NextDouble() < EmptyProbability) return "";
        bool shape = rng.NextDouble() < 0.85, color = rng.NextDouble() < 0.8, style = rng.NextDouble() < 0.75, bg = rng.NextDouble() < 0.45;
        return Compose(rng, shape ? scene.Shape : null, color ? scene.Color : null, style ? scene.Style : null, bg ? scene.Background : null);
    }

    /// <summary>A caption naming exactly the given attributes (null ones are not mentioned).</summary>
    public static string Compose(Random rng, string? shape, string? color, string? style, string? background)
    {
        int form = rng.Next(10);
        string core = form switch
        {
            < 6 => NounPhrase(rng, shape, color, style, background),
            < 8 => List(rng, shape, color, style, background),
            _ => Clause(rng, shape, color, style, background),
        };
        return string.Format(Pick(rng, Frames), core);
    }

    /// <summary>"a striped red star on black", "a red star with stripes", "a star in red, striped": adjectives in any order.</summary>
    private static string NounPhrase(Random rng, string? shape, string? color, string? style, string? background)
    {
        var before = new List<string>();
        var after = new List<string>();
        if (color is not null)
        {
            if (rng.Next(5) == 0) after.Add(string.Format(Pick(rng, ColorPhrases), color));
            else before.Add(string.Format(Pick(rng, ColorForms), color));
        }
        if (style is not null)
        {
            if (rng.Next(2) == 0) after.Add(Pick(rng, StylePhrases[style]));
            else before.Add(Pick(rng, StyleAdjectives[style]));
        }
        Shuffle(rng, before);
        Shuffle(rng, after);
        if (rng.Next(4) == 0) before.Insert(0, Pick(rng, Fillers));
        string noun = shape is null ? Pick(rng, ShapelessNouns) : rng.Next(8) == 0 ? shape + " shape" : shape;
        var text = string.Join(' ', before.Append(noun));
        if (after.Count > 0) text += " " + string.Join(rng.Next(3) == 0 ? ", " : " ", after);
        if (background is not null) text += (rng.Next(4) == 0 ? ", " : " ") + string.Format(Pick(rng, BackgroundPhrases), background);
        return Article(text) + " " + text;
    }

    /// <summary>"circle, orange, flat, black background": the attributes as a comma list in any order.</summary>
    private static string List(Random rng, string? shape, string? color, string? style, string? background)
    {
        var items = new List<string>();
        if (shape is not null) items.Add(shape);
        if (color is not null) items.Add(color);
        if (style is not null) items.Add(rng.Next(3) == 0 ? Pick(rng, StylePhrases[style]) : Pick(rng, StylePredicates[style]));
        if (background is not null) items.Add(string.Format(Pick(rng, BackgroundListItems), background));
        if (items.Count == 0) items.Add(Pick(rng, ShapelessNouns));
        Shuffle(rng, items);
        if (rng.Next(5) == 0) items.Insert(rng.Next(items.Count + 1), Pick(rng, Fillers));
        return string.Join(rng.Next(4) == 0 ? " " : ", ", items);
    }

    /// <summary>"a star that is red and striped", "a shape, red and dotted, on white".</summary>
    private static string Clause(Random rng, string? shape, string? color, string? style, string? background)
    {
        var predicates = new List<string>();
        if (color is not null) predicates.Add(color);
        if (style is not null) predicates.Add(Pick(rng, StylePredicates[style]));
        Shuffle(rng, predicates);
        string noun = shape ?? Pick(rng, ShapelessNouns);
        var text = Article(noun) + " " + noun;
        if (predicates.Count > 0)
            text += (rng.Next(2) == 0 ? " that is " : rng.Next(2) == 0 ? ", " : " which is ") + string.Join(" and ", predicates);
        if (background is not null) text += " " + string.Format(Pick(rng, BackgroundPhrases), background);
        return text;
    }

    private static string Article(string next) => "aeiou".Contains(next[0]) ? "an" : "a";

    private static string Pick(Random rng, string[] xs) => xs[rng.Next(xs.Length)];

    private static void Shuffle<T>(Random rng, List<T> xs)
    {
        for (int i = xs.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (xs[i], xs[j]) = (xs[j], xs[i]);
        }
    }
}

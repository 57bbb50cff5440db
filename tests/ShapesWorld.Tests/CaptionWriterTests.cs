using ShapesWorld;

namespace ShapesWorld.Tests;

/// <summary>Captions as people phrase prompts: every form names exactly the attributes asked for, and nothing else does.</summary>
public class CaptionWriterTests
{
    /// <summary>The words that name a value of each attribute: the inventory and the caption writer's synonyms.</summary>
    private static readonly Dictionary<string, string[]> StyleWords = new()
    {
        ["flat"] = ["flat", "solid", "filled", "plain", "solid-coloured", "fill"],
        ["striped"] = ["striped", "stripy", "stripes"],
        ["dotted"] = ["dotted", "polka-dot", "spotted", "dotty", "dots"],
        ["outlined"] = ["outlined", "hollow", "outline", "line"],
    };

    private static string[] Words(string caption) =>
        caption.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries).SelectMany(w => w.EndsWith("-coloured") || w.EndsWith("-colored") ? [w[..w.IndexOf('-')]] : new[] { w }).ToArray();

    [Fact]
    public void EveryCaptionNamesExactlyTheGivenAttributes()
    {
        var rng = new Random(3);
        for (int i = 0; i < 4000; i++)
        {
            var scene = Scene.Random(rng);
            string? shape = rng.Next(4) > 0 ? scene.Shape : null, color = rng.Next(4) > 0 ? scene.Color : null;
            string? style = rng.Next(4) > 0 ? scene.Style : null, background = rng.Next(2) > 0 ? scene.Background : null;
            var caption = CaptionWriter.Compose(rng, shape, color, style, background);
            var words = Words(caption);

            Assert.Equal(shape is null ? [] : new[] { shape }, words.Where(WorldInventory.Shapes.Contains).Distinct());
            Assert.Equal(color is null ? [] : new[] { color }, words.Where(WorldInventory.Colors.Contains).Distinct());
            Assert.Equal(background is null ? [] : new[] { background }, words.Where(WorldInventory.Backgrounds.Contains).Distinct());
            var styles = StyleWords.Where(kv => kv.Value.Any(words.Contains)).Select(kv => kv.Key).ToList();
            Assert.True((style is null ? [] : new[] { style }).SequenceEqual(styles), $"\"{caption}\" names styles {string.Join(",", styles)}, expected {style ?? "none"}");
        }
    }

    [Fact]
    public void CaptionsUseManyFormsAndOrders()
    {
        var rng = new Random(4);
        var captions = Enumerable.Range(0, 3000).Select(_ => CaptionWriter.Write(Scene.Random(rng), rng)).ToList();
        double Share(Func<string, bool> f) => (double)captions.Count(f) / captions.Count;

        Assert.InRange(Share(c => c.Length == 0), 0.07, 0.13);
        Assert.True(Share(c => c.Count(ch => ch == ',') >= 2) > 0.1, "comma lists");
        Assert.True(Share(c => c.Contains(" that is ") || c.Contains(" which is ")) > 0.03, "relative clauses");
        Assert.True(Share(c => c.StartsWith("the picture shows") || c.StartsWith("a picture of") || c.StartsWith("draw ")) > 0.03, "framing sentences");
        Assert.True(Share(c => c.Contains("with stripes") || c.Contains("a striped look")) > 0.01, "style phrases");
        // Colour before shape and shape before colour both occur: word order varies.
        Assert.True(Share(c => c.Contains("red star")) > 0 && Share(c => c.StartsWith("star, red") || c.Contains("star in red") || c.Contains("star that is red")) > 0);
        Assert.True(captions.Distinct().Count() > captions.Count / 3, "captions should rarely repeat");
    }

    [Fact]
    public void FillersAndFramesNameNoAttribute()
    {
        var named = WorldInventory.Shapes.Concat(WorldInventory.Colors).Concat(WorldInventory.Backgrounds).Concat(StyleWords.Values.SelectMany(v => v)).ToHashSet();
        foreach (var text in CaptionWriter.Fillers.Concat(CaptionWriter.Frames).Concat(CaptionWriter.ShapelessNouns))
            Assert.DoesNotContain(Words(text.Replace("{0}", "")), named.Contains);
    }
}

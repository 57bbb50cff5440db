using TestUtilities;
using ShapesWorld;
using ShapesWorld.Evaluation;

namespace ShapesWorld.Tests;

public class PromptSetsTests
{
    private static string Folder => Path.Combine(RepoPaths.Root, "models", "tiny-shapes");

    [Fact]
    public void TheShippedPromptsFormAOneAttributeAndAMixedSet()
    {
        var sets = PromptSets.Split(PromptSets.ReadFolder(Folder));
        Assert.Equal([PromptSets.OneAttribute, PromptSets.Mixed], sets.Select(s => s.Name));
        Assert.All(sets[0].Prompts, p => Assert.Single(p.Expect));
        var mixed = sets[1].Prompts;
        // Every prompt names all four attributes, and every value of the inventory is asked for at least four times.
        Assert.All(mixed, p => Assert.Equal(4, p.Expect.Count));
        foreach (var value in WorldInventory.Shapes.Concat(WorldInventory.Colors).Concat(WorldInventory.Styles).Concat(WorldInventory.Backgrounds))
            Assert.True(mixed.Count(p => p.Expect.Values.Contains(value)) >= 4, value);
        // Each prompt names what it expects in its text.
        Assert.All(mixed, p => Assert.All(p.Expect.Values, v => Assert.Contains(v, p.Prompt)));
        Assert.Equal(mixed.Count, mixed.Select(p => p.Prompt).Distinct().Count());
    }

    [Fact]
    public void PromptsThatExpectNothingBelongToNoSet()
    {
        var sets = PromptSets.Split([new EvalPrompt("anything", new Dictionary<string, string>())]);
        Assert.Empty(sets);
    }
}

using TestUtilities;
using ShapesWorld;

namespace ShapesWorld.Tests;

public class PromptFileTests
{
    [Fact]
    public void ReadsPromptsAndExpectations()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("p.jsonl");
        File.WriteAllLines(path, [
            "{\"prompt\": \"a red star\", \"expect\": {\"shape\": \"star\", \"color\": \"red\"}}",
            "",
            "{\"prompt\": \"an outlined square\", \"expect\": {\"style\": \"outlined\"}}",
            "{\"prompt\": \"anything\"}",
        ]);
        var prompts = PromptFile.Read(path);
        Assert.Equal(3, prompts.Count);
        Assert.Equal("star", prompts[0].Expect["shape"]);
        Assert.Equal("outlined", prompts[1].Expect["style"]);
        Assert.Empty(prompts[2].Expect);
    }

    [Theory]
    [InlineData("{\"prompt\": 3}", "\"prompt\" must be a string")]
    [InlineData("{\"prompt\": \"x\", \"expect\": {\"shape\": \"hexagon\"}}", "expect.shape")]
    [InlineData("{\"prompt\": \"x\", \"expect\": {\"size\": \"big\"}}", "unknown attribute \"size\"")]
    [InlineData("{\"prompt\": \"x\", \"expect\": [1]}", "\"expect\" must be an object")]
    [InlineData("not json", "not a JSON object")]
    [InlineData("{\"prompt\": \"x\", \"extra\": 1}", "unknown field \"extra\"")]
    public void MalformedLineIsRefusedWithItsLineNumber(string badLine, string expected)
    {
        using var tmp = new TempFolder();
        var path = tmp.File("p.jsonl");
        File.WriteAllLines(path, ["{\"prompt\": \"a red star\"}", "", badLine]);
        var e = Assert.Throws<PromptFileException>(() => PromptFile.Read(path));
        Assert.Contains($"{path}:3", e.Message);
        Assert.Contains(expected, e.Message);
    }
}

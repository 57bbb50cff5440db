using TestUtilities;
using Newtonsoft.Json.Linq;
using SampleHost.Projects;
using SampleHost.Tests.Foundation;

namespace SampleHost.Tests.Cli;

[Collection(HeavyTests.Name)]
public class ProjectVerbTests
{
    [Fact]
    public void ProjectVerbsCreateShowBlockAndUnblock()
    {
        using var temp = new TempFolder();
        var dir = temp.Sub("proj");
        var model = temp.Sub("models/tiny");

        // Given relative to the working directory (which the studio process inherits).
        var modelArg = Path.GetRelativePath(Environment.CurrentDirectory, model);
        var created = StudioProcess.Run("project", "new", dir, "--name", "Night sky", "--base-model", modelArg);
        Assert.True(created.Code == 0, created.Stderr);
        Assert.Contains("Night sky", created.Stdout);

        var blocked = StudioProcess.Run("project", "block", dir, "  Shooting   star ");
        Assert.True(blocked.Code == 0, blocked.Stderr);
        Assert.Contains("blocked 'Shooting star'", blocked.Stdout);
        Assert.Equal(0, StudioProcess.Run("project", "block", dir, "moon").Code);
        var again = StudioProcess.Run("project", "block", dir, "SHOOTING STAR");
        Assert.Equal(0, again.Code);
        Assert.Contains("already blocked", again.Stdout);

        var shown = StudioProcess.Run("project", "show", dir, "--json");
        Assert.True(shown.Code == 0, shown.Stderr);
        var json = JObject.Parse(shown.Stdout);
        Assert.Equal("Night sky", (string?)json["name"]);
        Assert.Equal(Path.GetFullPath(model), (string?)json["baseModel"]);
        Assert.Equal(Path.Combine(dir, "outputs"), (string?)json["outputFolder"]);
        Assert.Equal(["Shooting star", "moon"], json["blocklist"]!.Values<string>());

        var unblocked = StudioProcess.Run("project", "unblock", dir, "shooting star");
        Assert.True(unblocked.Code == 0, unblocked.Stderr);
        var missing = StudioProcess.Run("project", "unblock", dir, "sun");
        Assert.Equal(1, missing.Code);
        Assert.Contains("not in the blocklist", missing.Stderr);

        var text = StudioProcess.Run("project", "show", dir);
        Assert.Equal(0, text.Code);
        Assert.Contains("moon", text.Stdout);
        Assert.DoesNotContain("Shooting", text.Stdout);
        Assert.Equal(["moon"], ProjectFile.Read(dir).Blocklist);
        // The base model is stored relative to the project folder.
        Assert.Equal(Path.Combine("..", "models", "tiny"), ProjectFile.Read(dir).BaseModel);
    }

    [Fact]
    public void MalformedProjectFileIsRefusedAndLeftAlone()
    {
        using var temp = new TempFolder();
        var file = Path.Combine(temp.Path, ProjectFile.FileName);
        var text = "{\n  \"name\": \"p\",\n  \"blocklist\": [\"a\", 3]\n}\n";
        File.WriteAllText(file, text);

        var result = StudioProcess.Run("project", "block", temp.Path, "b");

        Assert.Equal(1, result.Code);
        Assert.Contains(file, result.Stderr);
        Assert.Contains("line 3", result.Stderr);
        Assert.Contains("'blocklist[1]'", result.Stderr);
        Assert.Equal(text, File.ReadAllText(file));
        Assert.Equal(1, StudioProcess.Run("project", "show", temp.Path).Code);
    }

    [Fact]
    public void NewRefusesAnExistingProjectAndNeedsAName()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, StudioProcess.Run("project", "new", temp.Path, "--name", "one").Code);
        var before = File.ReadAllBytes(Path.Combine(temp.Path, ProjectFile.FileName));
        var again = StudioProcess.Run("project", "new", temp.Path, "--name", "two");
        Assert.Equal(1, again.Code);
        Assert.Contains("already exists", again.Stderr);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(temp.Path, ProjectFile.FileName)));

        var noName = StudioProcess.Run("project", "new", temp.Sub("x"));
        Assert.Equal(2, noName.Code);
        Assert.Contains("--name is required", noName.Stderr);
    }
}

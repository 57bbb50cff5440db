using Host.Abstractions;
using SampleHost.Commands;

namespace SampleHost.Tests.Plugins;

public class MenuTreeTests
{
    private static RegisteredCommand Cmd(string id, string path, string owner = "p") => new(new CommandDefinition
    {
        Id = id, Title = path.Split('/')[^1], MenuPath = path, Handler = _ => Task.FromResult(new CommandResult("")),
    }, owner);

    [Fact]
    public void HostItemsAndPluginCommandsShareMenusInHostOrder()
    {
        var root = MenuTree.Build(HostMenu.Items,
        [
            Cmd("esd.about", "Help/About ESD", "esd"),
            Cmd("esd.erase", "Models/Erase concept…", "esd"),
            Cmd("x.deep", "Tools/Fixtures/Deep"),
            Cmd("x.zoo", "Zoo/Animal"),
        ]);

        Assert.Equal(["File", "Models", "Project", "Tools", "Zoo", "Help"], root.Children.Select(c => c.Label));
        var models = root.Children[1];
        Assert.Equal(["Inspect model…", "Erase concept…"], models.Children.Select(c => c.Label));
        Assert.Equal("model inspect", models.Children[0].HostItem!.Verb);
        Assert.Equal("esd.erase", models.Children[1].Command!.Id);
        var fixtures = Assert.Single(root.Children[3].Children);
        Assert.False(fixtures.IsItem);
        Assert.Equal("x.deep", Assert.Single(fixtures.Children).Command!.Id);
        Assert.Equal(7, root.Items().Count());
    }

    [Fact]
    public void RenderShowsHowToRunEachItem()
    {
        var root = MenuTree.Build(HostMenu.Items, [Cmd("scratch.count", "Tools/Count", "scratch")]);
        var output = new StringWriter();
        MenuTree.Render(root, output, "studio");
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();

        Assert.Contains("Tools", lines);
        Assert.Contains(lines, l => l.StartsWith("  Count ", StringComparison.Ordinal) && l.Contains("studio run scratch.count") && l.Contains("plugin scratch"));
        Assert.Contains(lines, l => l.StartsWith("  Generate…", StringComparison.Ordinal) && l.EndsWith("studio generate", StringComparison.Ordinal));
    }
}

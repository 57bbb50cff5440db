using TestUtilities;
using SampleHost.Cli;
using SampleHost.Tests.Plugins;
using SampleHost.Cli.Verbs;

namespace SampleHost.Tests.Cli;

/// <summary>The run verb in this process, through the same command-line parser the program uses.</summary>
public sealed class RunVerbTests : IDisposable
{
    private readonly Hosting.StudioHost host = FixturePlugins.Host([FixturePlugins.Root], StudioProcess.FreshDataFolder());
    private readonly StringWriter stdout = new(), stderr = new();

    private Task<int> Run(CancellationToken cancel, params string[] args) =>
        new CommandLine("studio", [RunVerb.Create(host, stdout, stderr)]).RunAsync(args, stdout, stderr, cancel);

    [Fact]
    public void UndeclaredOptionWithoutValueIsAFlag()
    {
        var verb = RunVerb.Create(host, stdout, stderr);
        var parsed = CommandLine.Parse(verb, ["x.y", "--force", "--to", "3", "--dry-run"]);
        Assert.Equal("true", parsed.Extra["force"]);
        Assert.Equal("3", parsed.Extra["to"]);
        Assert.Equal("true", parsed.Extra["dry-run"]);
        Assert.False(parsed.Extra.ContainsKey("preview"));
    }

    [Fact]
    public async Task SuccessPrintsTheResultMessage()
    {
        Assert.Equal(0, await Run(CancellationToken.None, "run", "scratch.count", "--to", "2", "--delay-ms", "0"));
        Assert.Equal("counted to 2", stdout.ToString().Trim());
        Assert.Contains("100% step 2 of 2", stderr.ToString());
    }

    [Fact]
    public async Task CancellationGives130()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Assert.Equal(130, await Run(cancel.Token, "run", "scratch.count", "--to", "1000", "--delay-ms", "20"));
        Assert.Contains("cancelled", stderr.ToString());
        Assert.Equal("", stdout.ToString());
    }

    [Fact]
    public async Task PreviewIntoMissingFolderIsAUsageError()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid(), "p.png");
        Assert.Equal(2, await Run(CancellationToken.None, "run", "scratch.count", "--preview", missing));
        Assert.Contains("--preview: folder", stderr.ToString());
    }

    public void Dispose() => host.Dispose();
}

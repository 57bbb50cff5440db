using TestUtilities;
using Host.Abstractions;
using SampleHost.Projects;

namespace SampleHost.Tests.Projects;

public class ProjectServiceTests
{
    private static string FileIn(string folder) => Path.Combine(folder, ProjectFile.FileName);

    [Fact]
    public void OpenAndCloseRaiseActiveProjectChanged()
    {
        using var temp = new TempFolder();
        ProjectService.Create(temp.Path, new ProjectSettings("  Demo ", null, [], null));
        var projects = new ProjectService();
        var seen = new List<IProject?>();
        projects.ActiveProjectChanged += (_, e) => seen.Add(e.Project);

        var opened = projects.Open(temp.Path);
        projects.Close();

        Assert.Equal("Demo", opened.Name);
        Assert.Equal(temp.Path, opened.Folder);
        Assert.Equal(2, seen.Count);
        Assert.Same(opened, seen[0]);
        Assert.Null(seen[1]);
        Assert.Null(projects.Active);
    }

    [Fact]
    public void CreateRefusesToReplaceAProject()
    {
        using var temp = new TempFolder();
        ProjectService.Create(temp.Path, new ProjectSettings("first", null, ["x"], null));
        var before = File.ReadAllBytes(FileIn(temp.Path));
        var e = Assert.Throws<ProjectFileException>(() => ProjectService.Create(temp.Path, new ProjectSettings("second", null, [], null)));
        Assert.Contains("already exists", e.Message);
        Assert.Equal(before, File.ReadAllBytes(FileIn(temp.Path)));
    }

    [Fact]
    public void BlockAndUnblockNormaliseSaveAndNotify()
    {
        using var temp = new TempFolder();
        ProjectService.Create(temp.Path, new ProjectSettings("p", null, [], null));
        var projects = new ProjectService();
        projects.Open(temp.Path);
        var changes = new List<IReadOnlyList<string>>();
        projects.BlocklistChanged += (_, e) => changes.Add(e.Project!.Blocklist);

        Assert.True(projects.Block("  Star \t  Wars "));
        Assert.True(projects.Block("cat"));
        Assert.False(projects.Block("star wars"));   // same concept, other spelling
        Assert.False(projects.Block("CAT"));

        Assert.Equal(["Star Wars", "cat"], projects.Active!.Blocklist);
        Assert.Equal(["Star Wars", "cat"], ProjectFile.Read(temp.Path).Blocklist);
        Assert.Equal(2, changes.Count);
        Assert.Equal(["Star Wars"], changes[0]);

        Assert.True(projects.Unblock("STAR   wars"));
        Assert.False(projects.Unblock("dog"));
        Assert.Equal(["cat"], ProjectFile.Read(temp.Path).Blocklist);
        Assert.Equal(3, changes.Count);
        Assert.Throws<ArgumentException>(() => projects.Block("   "));
    }

    [Fact]
    public void BlockKeepsEditsMadeOutside()
    {
        using var temp = new TempFolder();
        ProjectService.Create(temp.Path, new ProjectSettings("p", null, ["a"], null));
        var projects = new ProjectService();
        projects.Open(temp.Path);
        File.WriteAllText(FileIn(temp.Path), """{ "name": "renamed", "blocklist": ["a", "b"] }""");

        projects.Block("c");

        var read = ProjectFile.Read(temp.Path);
        Assert.Equal("renamed", read.Name);
        Assert.Equal(["a", "b", "c"], read.Blocklist);
    }

    [Fact]
    public void BlockNeverOverwritesADamagedFile()
    {
        using var temp = new TempFolder();
        ProjectService.Create(temp.Path, new ProjectSettings("p", null, ["a"], null));
        var projects = new ProjectService();
        projects.Open(temp.Path);
        var damaged = "{ \"name\": \"p\",\n  \"blocklist\": [\"a\" \"b\"]\n}";
        File.WriteAllText(FileIn(temp.Path), damaged);
        var changed = false;
        projects.BlocklistChanged += (_, _) => changed = true;

        var e = Assert.Throws<ProjectFileException>(() => projects.Block("c"));

        Assert.Equal(2, e.Line);
        Assert.Equal(damaged, File.ReadAllText(FileIn(temp.Path)));
        Assert.False(changed);
        Assert.Equal(["a"], projects.Active!.Blocklist);
        Assert.Throws<ProjectFileException>(() => projects.Unblock("a"));
        Assert.Equal(damaged, File.ReadAllText(FileIn(temp.Path)));
    }

    private sealed class Guard(Func<GenerationRequest, GuardDecision> decide) : IGenerationGuard
    {
        public int Calls { get; private set; }

        public Task<GuardDecision> CheckAsync(GenerationRequest request, CancellationToken cancellation)
        {
            Calls++;
            return Task.FromResult(decide(request));
        }
    }

    private static readonly GenerationRequest Request = new("/models/tiny", ["a star"], null);

    [Fact]
    public async Task FirstRefusalWinsWithItsMessage()
    {
        var projects = new ProjectService();
        var order = new List<string>();
        var first = new Guard(_ => { order.Add("first"); return GuardDecision.Allow("checked"); });
        var second = new Guard(_ => { order.Add("second"); return GuardDecision.Refuse("'star' is blocked in this project"); });
        var third = new Guard(_ => { order.Add("third"); return GuardDecision.Refuse("third"); });
        projects.RegisterGenerationGuard(first);
        projects.RegisterGenerationGuard(second);
        projects.RegisterGenerationGuard(third);

        var decision = await projects.CheckGenerationAsync(Request);

        Assert.False(decision.Allowed);
        Assert.Equal("'star' is blocked in this project", decision.Message);
        Assert.Equal(["first", "second"], order);
        Assert.Equal(0, third.Calls);
    }

    [Fact]
    public async Task AllAllowingGuardsAllowWithTheirNotes()
    {
        var projects = new ProjectService();
        Assert.True((await projects.CheckGenerationAsync(Request)).Allowed);   // no guards
        GenerationRequest? seen = null;
        projects.RegisterGenerationGuard(new Guard(r => { seen = r; return GuardDecision.Allow("safe weights in place"); }));
        projects.RegisterGenerationGuard(new Guard(_ => GuardDecision.Allow()));
        var decision = await projects.CheckGenerationAsync(Request);
        Assert.True(decision.Allowed);
        Assert.Equal("safe weights in place", decision.Message);
        Assert.Same(Request, seen);
    }

    private sealed class ThrowingGuard : IGenerationGuard
    {
        public Task<GuardDecision> CheckAsync(GenerationRequest request, CancellationToken cancellation) =>
            throw new InvalidOperationException("delta file missing");
    }

    [Fact]
    public async Task AFailingGuardRefuses()
    {
        var projects = new ProjectService();
        projects.RegisterGenerationGuard(new ThrowingGuard());
        var decision = await projects.CheckGenerationAsync(Request);
        Assert.False(decision.Allowed);
        Assert.Contains("delta file missing", decision.Message);
        Assert.Contains(nameof(ThrowingGuard), decision.Message);
    }

    private sealed class SlowGuard : IGenerationGuard
    {
        public async Task<GuardDecision> CheckAsync(GenerationRequest request, CancellationToken cancellation)
        {
            await Task.Delay(TimeSpan.FromSeconds(30), cancellation);
            return GuardDecision.Allow();
        }
    }

    [Fact]
    public async Task CancellationStopsTheCheck()
    {
        var projects = new ProjectService();
        projects.RegisterGenerationGuard(new SlowGuard());
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => projects.CheckGenerationAsync(Request, cancel.Token));
    }
}

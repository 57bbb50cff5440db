using Host.Abstractions;
using SampleHost.Projects;
using SampleHost.Tests.Plugins;
using TestUtilities;

namespace SampleHost.Tests.FailClosed;

/// <summary>No guard, no generation: a blocklist nothing enforces refuses every generation, naming why.</summary>
public class GuardPresenceTests
{
    private static Project BlockingProject(TempFolder tmp, params string[] blocked) =>
        ProjectService.Create(tmp.Sub("project"), new ProjectSettings("Client work", null, blocked, null));

    [Fact]
    public async Task ABlocklistWithoutAGuardIsRefusedNamingWhy()
    {
        using var tmp = new TempFolder();
        using var host = FixturePlugins.Host([FixturePlugins.BundledRoot], tmp.Sub("data"), disabled: "esd");
        _ = host.Plugins;
        var project = host.ProjectService.Open(BlockingProject(tmp, "star").Folder);
        var decision = await host.ProjectService.CheckGenerationAsync(new GenerationRequest("model", ["a star"], project));
        Assert.False(decision.Allowed);
        Assert.Contains("blocks star", decision.Message);
        Assert.Contains("esd is disabled", decision.Message);
        Assert.Contains("STUDIO_DISABLED_PLUGINS", decision.Message);
    }

    [Fact]
    public async Task AProjectWithoutABlocklistNeedsNoGuard()
    {
        using var tmp = new TempFolder();
        var projects = new ProjectService();
        var project = projects.Open(BlockingProject(tmp).Folder);
        Assert.True((await projects.CheckGenerationAsync(new GenerationRequest("model", ["a star"], project))).Allowed);
    }

    [Fact]
    public async Task AGuardThatIsNotABlocklistGuardDoesNotCoverABlocklist()
    {
        using var tmp = new TempFolder();
        var projects = new ProjectService();
        projects.RegisterGenerationGuard(new AllowAll());
        var project = projects.Open(BlockingProject(tmp, "star").Folder);
        Assert.False((await projects.CheckGenerationAsync(new GenerationRequest("model", ["a star"], project))).Allowed);
    }

    [Fact]
    public async Task APluginWhoseRegisterThrowsLeavesNoGuardAndNoHandler()
    {
        using var tmp = new TempFolder();
        using var host = FixturePlugins.Host([FixturePlugins.Root], tmp.Sub("data"));
        Assert.Equal(SampleHost.Plugins.PluginStatus.Malfunctioned, host.Plugins.Single(p => p.Id == "throws").Status);
        Assert.DoesNotContain(host.ProjectService.Guards, g => g.GetType().Assembly.GetName().Name == "ThrowingPlugin");
        var project = host.ProjectService.Open(BlockingProject(tmp, "star").Folder); // would run its handler
        var handlerRan = AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == "ThrowingPlugin")
            .Select(a => (bool)a.GetType("ThrowingPlugin.ThrowingPluginEntry")!.GetProperty("HandlerRan")!.GetValue(null)!).ToList();
        Assert.All(handlerRan, Assert.False);
        var decision = await host.ProjectService.CheckGenerationAsync(new GenerationRequest("model", ["a star"], project));
        Assert.False(decision.Allowed); // its allow-everything guard did not survive
    }

    private sealed class AllowAll : IGenerationGuard
    {
        public Task<GuardDecision> CheckAsync(GenerationRequest request, CancellationToken cancellation) => Task.FromResult(GuardDecision.Allow());
    }
}

using TestUtilities;
using EsdPlugin.Blocklist;
using EsdPlugin.Commands;
using Host.Abstractions;
using SampleHost.Projects;

namespace EsdPlugin.Tests;

[Collection(HeavyTests.Name)]
public class BlocklistTests
{
    private static string NewProject(Harness h, string name, params string[] blocked)
    {
        var folder = Path.Combine(h.DataFolder, name);
        ProjectService.Create(folder, new ProjectSettings(name, Paths.Alpha, blocked, null));
        return folder;
    }

    [Fact]
    public async Task GuardRefusesThenAllowsAfterApplyBlocklistAndSwapsWithTheProject()
    {
        using var h = new Harness();
        var guard = new BlocklistGuard(h.Services);
        h.Projects.RegisterGenerationGuard(guard);
        var safe = NewProject(h, "safe", "cat", "van gogh");
        var open = NewProject(h, "open");

        h.Projects.Open(safe);
        var refused = await h.Projects.CheckGenerationAsync(new GenerationRequest(Paths.Alpha, ["a cat"], h.Projects.Active), default);
        Assert.False(refused.Allowed);
        Assert.Contains("esd.apply-blocklist", refused.Message);
        Assert.Contains("cat, van gogh", refused.Message);

        var apply = ApplyBlocklistCommand.Create(h.Services);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => h.Run(apply, []));
        Assert.Contains("--train-missing", e.Message);
        Assert.Contains("cat, van gogh", e.Message);

        var applied = await h.Run(apply, new() { ["train-missing"] = "true", ["iterations"] = "2" });
        Assert.Single(applied.Files);
        var allowed = await h.Projects.CheckGenerationAsync(new GenerationRequest(Paths.Alpha, ["a cat"], h.Projects.Active), default);
        Assert.True(allowed.Allowed, allowed.Message);

        // A project without a blocklist gets the original weights back; returning swaps the safe checkpoint in.
        var original = await Task.Run(async () => { await h.Run(RestoreOriginalCommand.Create(h.Services), []); return await h.UnetBytes(); });
        await h.Run(ApplyBlocklistCommand.Create(h.Services), []);
        h.Projects.Open(open);
        Assert.True((await h.Projects.CheckGenerationAsync(new GenerationRequest(Paths.Alpha, ["a cat"], h.Projects.Active), default)).Allowed);
        Assert.Equal(original, await h.UnetBytes());
        h.Projects.Open(safe);
        var again = await h.Projects.CheckGenerationAsync(new GenerationRequest(Paths.Alpha, ["a cat"], h.Projects.Active), default);
        Assert.True(again.Allowed);
        Assert.Contains("safe checkpoint", again.Message);
        using var lease = await h.Cache.AcquireAsync(LeaseMode.Shared);
        Assert.NotNull(lease.Model.Patches.LiveStamp);
    }
}

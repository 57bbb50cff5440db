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
        ProjectService.Create(folder, new ProjectSettings(name, h.Model, blocked, null));
        return folder;
    }

    [Fact]
    public async Task GuardRefusesThenAllowsAfterApplyBlocklistAndSwapsWithTheProject()
    {
        // Defaults of one iteration per concept: "--iterations 2" is full length for the two blocked concepts.
        using var h = Harness.WithSafeIterations(1);
        var guard = new BlocklistGuard(h.Services);
        h.Projects.RegisterGenerationGuard(guard);
        var safe = NewProject(h, "safe", "cat", "van gogh");
        var open = NewProject(h, "open");

        h.Projects.Open(safe);
        var refused = await h.Projects.CheckGenerationAsync(new GenerationRequest(h.Model, ["a cat"], h.Projects.Active), default);
        Assert.False(refused.Allowed);
        Assert.Contains("esd.apply-blocklist", refused.Message);
        Assert.Contains("cat, van gogh", refused.Message);

        var apply = ApplyBlocklistCommand.Create(h.Services);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => h.Run(apply, []));
        Assert.Contains("--train-missing", e.Message);
        Assert.Contains("cat, van gogh", e.Message);

        var applied = await h.Run(apply, new() { ["train-missing"] = "true", ["iterations"] = "2" });
        Assert.Single(applied.Files);
        var allowed = await h.Projects.CheckGenerationAsync(new GenerationRequest(h.Model, ["a cat"], h.Projects.Active), default);
        Assert.True(allowed.Allowed, allowed.Message);

        // A project without a blocklist gets the original weights back; returning swaps the safe checkpoint in.
        var original = await Task.Run(async () => { await h.Run(RestoreOriginalCommand.Create(h.Services), []); return await h.UnetBytes(); });
        await h.Run(ApplyBlocklistCommand.Create(h.Services), []);
        h.Projects.Open(open);
        Assert.True((await h.Projects.CheckGenerationAsync(new GenerationRequest(h.Model, ["a cat"], h.Projects.Active), default)).Allowed);
        Assert.Equal(original, await h.UnetBytes());
        h.Projects.Open(safe);
        var again = await h.Projects.CheckGenerationAsync(new GenerationRequest(h.Model, ["a cat"], h.Projects.Active), default);
        Assert.True(again.Allowed);
        Assert.Contains("safe checkpoint", again.Message);
        using var lease = await h.Cache.AcquireAsync(LeaseMode.Shared);
        Assert.NotNull(lease.Model.Patches.LiveStamp);
    }

    [Fact]
    public async Task AShortTrialRunNeverUnlocksAProjectAndTheRefusalOffersItsRemedy()
    {
        using var h = Harness.WithSafeIterations(4);
        var guard = new BlocklistGuard(h.Services);
        h.Projects.RegisterGenerationGuard(guard);
        var folder = NewProject(h, "stars", "cat");
        h.Projects.Open(folder);

        // A trial run of 2 iterations (the defaults say 4): a usable edit, but not a safe checkpoint.
        var trial = Assert.Single((await h.Run(EraseConceptCommand.Create(h.Services), new()
        {
            ["concepts"] = "cat", ["iterations"] = "2", ["ddim-steps"] = "2", ["learning-rate"] = "1e-3", ["name"] = "trial",
        })).Files);
        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = "trial" });
        var request = new GenerationRequest(h.Model, ["a cat"], h.Projects.Active);
        var preview = await guard.PreviewAsync(request, default);
        Assert.False(preview!.Allowed);
        var refused = await h.Projects.CheckGenerationAsync(request, default);
        Assert.False(refused.Allowed);
        Assert.Contains("'trial' erases them but was trained for 2 iterations, fewer than the 4 a safe checkpoint needs", refused.Message);
        Assert.Equal(ApplyBlocklistCommand.Id, refused.Remedy?.CommandId);
        Assert.Equal("true", refused.Remedy!.Arguments["train-missing"]);

        // The remedy with too few iterations is refused before training; as offered, it trains a full-length one.
        var apply = ApplyBlocklistCommand.Create(h.Services);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => h.Run(apply, new() { ["train-missing"] = "true", ["iterations"] = "3" }));
        Assert.Contains("--iterations 3 is fewer than the 4 a safe checkpoint for cat", e.Message);
        await h.Run(apply, new(refused.Remedy.Arguments));
        Assert.True((await guard.PreviewAsync(request, default))!.Allowed);
        Assert.True((await h.Projects.CheckGenerationAsync(request, default)).Allowed);

        // The catalog lists both, newest first; only the full-length one is a safe checkpoint. The live one cannot be
        // deleted; the trial can.
        var catalog = new EsdPlugin.Deltas.EsdEditCatalog(h.Services);
        IReadOnlyList<StoredEdit> edits;
        using (var lease = await h.Cache.AcquireAsync(LeaseMode.Shared))
            edits = catalog.List(lease.Model);
        Assert.Equal(2, edits.Count);
        Assert.False(edits.Single(x => x.Name == "trial").SafeCheckpoint);
        var safe = edits.Single(x => x.Name != "trial");
        Assert.True(safe.SafeCheckpoint);
        Assert.True(safe.FitsModel);
        Assert.Equal(["cat"], safe.Concepts);
        Assert.True(safe.Bytes > 0);
        var delete = DeleteEditCommand.Create(h.Services);
        var live = await Assert.ThrowsAsync<InvalidOperationException>(() => h.Run(delete, new() { ["delta"] = safe.Name }));
        Assert.Contains("is the live edit", live.Message);
        await h.Run(delete, new() { ["delta"] = "trial" });
        Assert.False(File.Exists(trial));
        using (var lease = await h.Cache.AcquireAsync(LeaseMode.Shared))
            Assert.Equal([safe.Name], catalog.List(lease.Model).Select(x => x.Name));
    }
}

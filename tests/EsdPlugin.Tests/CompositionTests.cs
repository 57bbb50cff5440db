using EsdPlugin.Blocklist;
using EsdPlugin.Commands;
using Host.Abstractions;
using SampleHost.Projects;
using TestUtilities;
using static TorchSharp.torch;

namespace EsdPlugin.Tests;

/// <summary>Deltas at a strength, and several composed: weights = base + Σ strength · (delta − base).</summary>
[Collection(HeavyTests.Name)]
public class CompositionTests
{
    private static async Task<string> Erase(Harness h, string concept, string name) =>
        Assert.Single((await h.Run(EraseConceptCommand.Create(h.Services), new()
        {
            ["concepts"] = concept, ["iterations"] = "1", ["ddim-steps"] = "2", ["learning-rate"] = "1e-2", ["name"] = name,
        })).Files);

    [Fact]
    public async Task AStrengthScalesTheEditAndZeroIsTheBaseBitForBit()
    {
        using var h = new Harness();
        var original = await h.UnetBytes();
        var w0 = await h.UnetTensors();
        await Erase(h, "cat", "cat-edit");
        var load = LoadEditedModelCommand.Create(h.Services);

        await h.Run(load, new() { ["delta"] = "cat-edit" });
        var full = await h.UnetTensors();
        var fullBytes = await h.UnetBytes();
        var changed = full.Keys.Where(n => !original[n].AsSpan().SequenceEqual(fullBytes[n])).ToList();
        Assert.NotEmpty(changed);

        var zero = await h.Run(load, new() { ["delta"] = "cat-edit", ["strength"] = "0" });
        Assert.Equal(original, await h.UnetBytes());
        Assert.Contains("at 0", zero.Message);

        await h.Run(load, new() { ["delta"] = "cat-edit", ["strength"] = "0.5" });
        var half = await h.UnetTensors();
        foreach (var name in changed)
        {
            using var expected = w0[name] + 0.5 * (full[name] - w0[name]);
            Assert.True(allclose(half[name], expected, rtol: 1e-5, atol: 1e-7), $"{name} is not half way at strength 0.5");
        }
        using (var lease = await h.Cache.AcquireAsync(LeaseMode.Shared))
            Assert.StartsWith("esd-mix:", lease.Model.Patches.LiveStamp);

        // Strength 1 is the delta itself, bit for bit, with the delta's own stamp.
        await h.Run(load, new() { ["delta"] = "cat-edit", ["strength"] = "1" });
        Assert.Equal(fullBytes, await h.UnetBytes());

        var e = await Assert.ThrowsAsync<ArgumentException>(() => h.Run(load, new() { ["delta"] = "cat-edit", ["strength"] = "1,0.5" }));
        Assert.Contains("--strength gives 2 strengths for 1 deltas", e.Message);
        e = await Assert.ThrowsAsync<ArgumentException>(() => h.Run(load, new() { ["delta"] = "cat-edit", ["strength"] = "lots" }));
        Assert.Contains("--strength expects numbers", e.Message);
        Assert.Equal(fullBytes, await h.UnetBytes());
    }

    [Fact]
    public async Task PerConceptSafeCheckpointsComposeToServeABlocklistAndOnlyAtFullStrength()
    {
        using var h = Harness.WithSafeIterations(1);
        var guard = new BlocklistGuard(h.Services);
        h.Projects.RegisterGenerationGuard(guard);
        var w0 = await h.UnetTensors();
        await Erase(h, "cat", "cat-only");
        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = "cat-only" });
        var cat = await h.UnetTensors();
        await Erase(h, "van gogh", "gogh-only");
        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = "gogh-only" });
        var gogh = await h.UnetTensors();
        await h.Run(RestoreOriginalCommand.Create(h.Services), []);

        var folder = Path.Combine(h.DataFolder, "both");
        ProjectService.Create(folder, new ProjectSettings("both", h.Model, ["cat", "van gogh"], null));
        h.Projects.Open(folder);
        var request = new GenerationRequest(h.Model, ["a cat"], h.Projects.Active);

        // No delta erases both; the two per-concept ones together do, without a joint run.
        var preview = await guard.PreviewAsync(request, default);
        Assert.True(preview!.Allowed, preview.Message);
        Assert.Contains("'cat-only' + 'gogh-only' together erase cat, van gogh", preview.Message);
        var allowed = await h.Projects.CheckGenerationAsync(request, default);
        Assert.True(allowed.Allowed, allowed.Message);
        Assert.Contains("'cat-only' + 'gogh-only'", allowed.Message);
        var both = await h.UnetTensors();
        foreach (var (name, value) in both)
        {
            using var expected = w0[name] + (cat[name] - w0[name]) + (gogh[name] - w0[name]);
            Assert.True(allclose(value, expected, rtol: 1e-5, atol: 1e-7), $"{name} is not the sum of both edits");
        }

        // The same two with one at half strength do not make the project safe.
        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = "cat-only,gogh-only", ["strength"] = "1,0.5" });
        using (var lease = await h.Cache.AcquireAsync(LeaseMode.Shared))
        {
            Assert.False(SafeCheckpoints.LiveCovers(h.Services, lease.Model, ["cat", "van gogh"]));
            Assert.True(SafeCheckpoints.LiveCovers(h.Services, lease.Model, []));
        }
        // The guard swaps the full-strength composition back in before allowing.
        Assert.True((await h.Projects.CheckGenerationAsync(request, default)).Allowed);
        using (var lease = await h.Cache.AcquireAsync(LeaseMode.Shared))
            Assert.True(SafeCheckpoints.LiveCovers(h.Services, lease.Model, ["cat", "van gogh"]));
    }

    [Fact]
    public async Task ApplyBlocklistTrainsOnlyTheConceptsNoStoredCheckpointErases()
    {
        using var h = Harness.WithSafeIterations(1);
        h.Projects.RegisterGenerationGuard(new BlocklistGuard(h.Services));
        await Erase(h, "cat", "cat-only");
        var folder = Path.Combine(h.DataFolder, "both");
        ProjectService.Create(folder, new ProjectSettings("both", h.Model, ["cat", "van gogh"], null));
        h.Projects.Open(folder);

        var apply = ApplyBlocklistCommand.Create(h.Services);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => h.Run(apply, []));
        Assert.Contains("no stored safe checkpoint for this base erases van gogh.", e.Message);
        var applied = await h.Run(apply, new() { ["train-missing"] = "true" });
        var trained = Assert.Single(applied.Files);
        Assert.Contains("van-gogh", Path.GetFileName(trained));
        Assert.DoesNotContain("cat", Path.GetFileName(trained));
        Assert.Contains("loaded 'cat-only' + 'blocklist-van-gogh", applied.Message);
        Assert.True((await h.Projects.CheckGenerationAsync(new GenerationRequest(h.Model, ["a cat"], h.Projects.Active), default)).Allowed);
    }
}

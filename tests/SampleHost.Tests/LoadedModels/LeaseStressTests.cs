using TestUtilities;
using Host.Abstractions;
using SampleHost.LoadedModels;
using static TorchSharp.torch;

namespace SampleHost.Tests.LoadedModels;

/// <summary>
/// Generations (forward passes under shared leases) racing weight swaps (apply/restore under exclusive
/// leases): every output must be exactly the base model's or exactly the patched model's.
/// </summary>
[Collection(HeavyTests.Name)]
public class LeaseStressTests
{
    private sealed record Outcome(int Base, int Patched, int Mixed);

    /// <param name="useLeases">False only for the control run that shows the race is real without leases.</param>
    private static async Task<Outcome> Race(bool useLeases, TimeSpan duration, bool stopAtFirstMixture = false)
    {
        var unet = new TinyUnet(width: 32, depth: 6);
        var model = new TinyModel("stress", unet);
        using var cache = new ModelCache((_, _) => model);
        cache.Select(ModelKey.For(Path.Combine(Path.GetTempPath(), "stress-model"), CPU, ScalarType.Float32));

        using var input = randn(2, 4, 8, 8);
        using var baseOutput = unet.Run(input);
        var patch = unet.named_parameters().ToDictionary(p => p.name, p => randn(p.parameter.shape) * 0.5);
        model.Patches.Apply(patch, "patch");
        using var patchedOutput = unet.Run(input);
        model.Patches.Restore();
        Assert.False(TinyUnet.SameBits(baseOutput, patchedOutput));

        // Yielding between blocks lets a swap land in the middle of a forward pass, unless leases forbid it.
        unet.BetweenBlocks = () => Thread.Sleep(0);

        int mixed = 0, basic = 0, patched = 0;
        using var stop = new CancellationTokenSource(duration);

        // Dedicated threads with blocking waits, not pool tasks: on a loaded two-core runner two busy
        // generation loops can hold every pool thread for seconds, and a swap loop that never starts
        // proves nothing.
        var generations = Enumerable.Range(0, 2).Select(_ => StartThread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                IModelLease? lease = useLeases ? cache.AcquireAsync(LeaseMode.Shared).GetAwaiter().GetResult() : null;
                try
                {
                    using var output = unet.Run(input);
                    if (TinyUnet.SameBits(output, baseOutput)) Interlocked.Increment(ref basic);
                    else if (TinyUnet.SameBits(output, patchedOutput)) Interlocked.Increment(ref patched);
                    else
                    {
                        Interlocked.Increment(ref mixed);
                        if (stopAtFirstMixture) stop.Cancel();
                    }
                }
                finally { lease?.Dispose(); }
            }
        })).ToArray();

        var swaps = StartThread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                using (useLeases ? cache.AcquireAsync(LeaseMode.Exclusive).GetAwaiter().GetResult() : null)
                    model.Patches.Apply(patch, "patch");
                using (useLeases ? cache.AcquireAsync(LeaseMode.Exclusive).GetAwaiter().GetResult() : null)
                    model.Patches.Restore();
            }
        });

        await Task.WhenAll([.. generations, swaps]);
        foreach (var t in patch.Values) t.Dispose();
        return new Outcome(basic, patched, mixed);
    }

    private static Task StartThread(Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { body(); done.SetResult(); }
            catch (Exception e) { done.SetException(e); }
        }) { IsBackground = true };
        thread.Start();
        return done.Task;
    }

    [Fact]
    public async Task GenerationNeverSeesAHalfSwappedModel()
    {
        var outcome = await Race(useLeases: true, TimeSpan.FromSeconds(3));
        Assert.Equal(0, outcome.Mixed);
        // Both states must really have been generated with, or the race proved nothing.
        Assert.True(outcome.Base > 0 && outcome.Patched > 0, $"base {outcome.Base}, patched {outcome.Patched}");
    }

    [Fact]
    public async Task WithoutLeasesTheSameRaceProducesMixtures()
    {
        // The control: shows the stress test above can detect a missing lock on this machine.
        var outcome = await Race(useLeases: false, TimeSpan.FromSeconds(10), stopAtFirstMixture: true);
        Assert.True(outcome.Mixed > 0, $"expected a mixed output without leases (base {outcome.Base}, patched {outcome.Patched})");
    }
}

using Host.Abstractions;
using SampleHost.LoadedModels;
using SampleHost.Projects;
using SampleHost.Tests.LoadedModels;
using static TorchSharp.torch;

namespace SampleHost.Tests.Projects;

public class GenerationGateTests
{
    private sealed class Setup : IDisposable
    {
        public Setup()
        {
            Model = new TinyModel("gate");
            Cache = new ModelCache((_, _) => Model);
            Cache.Select(Path.Combine(Path.GetTempPath(), "gate-model"), CPU, ScalarType.Float32);
            Gate = new GenerationGate(Projects, Cache);
        }

        public TinyModel Model { get; }
        public ModelCache Cache { get; }
        public ProjectService Projects { get; } = new();
        public GenerationGate Gate { get; }

        public void Dispose() => Cache.Dispose();
    }

    private sealed class Guard(Func<GenerationRequest, CancellationToken, Task<GuardDecision>> decide) : IGenerationGuard
    {
        public int Calls;

        public Task<GuardDecision> CheckAsync(GenerationRequest request, CancellationToken cancellation)
        {
            Interlocked.Increment(ref Calls);
            return decide(request, cancellation);
        }
    }

    [Fact]
    public async Task RefusalComesBackWithItsMessageAndNoLease()
    {
        using var s = new Setup();
        s.Projects.RegisterGenerationGuard(new Guard((_, _) => Task.FromResult(GuardDecision.Refuse("blocked: star"))));
        using var ticket = await s.Gate.AdmitAsync(["a star"]);
        Assert.False(ticket.Allowed);
        Assert.Equal("blocked: star", ticket.Message);
        Assert.Null(ticket.Lease);
        // Nothing is left held.
        using var exclusive = await s.Cache.AcquireAsync(LeaseMode.Exclusive).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AdmittedGenerationHoldsASharedLeaseUntilDisposed()
    {
        using var s = new Setup();
        GenerationRequest? seen = null;
        s.Projects.RegisterGenerationGuard(new Guard((r, _) => { seen = r; return Task.FromResult(GuardDecision.Allow()); }));
        var ticket = await s.Gate.AdmitAsync(["a cat"]);
        Assert.True(ticket.Allowed);
        Assert.Equal(LeaseMode.Shared, ticket.Lease!.Mode);
        Assert.Same(s.Model, ticket.Lease.Model);
        Assert.Equal(s.Cache.ActiveModelFolder, seen!.ModelFolder);
        Assert.Equal(["a cat"], seen.Prompts);

        var exclusive = s.Cache.AcquireAsync(LeaseMode.Exclusive);
        await Task.Delay(150);
        Assert.False(exclusive.IsCompleted, "weights must not change while the generation runs");
        ticket.Dispose();
        (await exclusive.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    [Fact]
    public async Task GuardThatSwapsWeightsIsAskedAgainAndTheSwapIsWhatRuns()
    {
        using var s = new Setup();
        var safe = s.Model.Tiny.named_parameters().Take(2).ToDictionary(p => p.name, p => zeros(p.parameter.shape));
        var guard = new Guard(async (_, cancel) =>
        {
            if (s.Model.Patches.LiveStamp != "safe")
            {
                using var exclusive = await s.Cache.AcquireAsync(LeaseMode.Exclusive, cancel);
                exclusive.Model.Patches.Apply(safe, "safe");
            }
            return GuardDecision.Allow("safe weights in place");
        });
        s.Projects.RegisterGenerationGuard(guard);

        using var ticket = await s.Gate.AdmitAsync(["a star"]);

        Assert.True(ticket.Allowed);
        Assert.Equal("safe", ticket.Lease!.Model.Patches.LiveStamp);
        Assert.Equal(2, guard.Calls);   // once to swap, once to approve what is now live
    }

    [Fact]
    public async Task WeightsThatKeepChangingAreRefused()
    {
        using var s = new Setup();
        var name = s.Model.Tiny.named_parameters().First().name;
        int n = 0;
        // Some other actor changes the weights every time the guards are asked.
        s.Projects.RegisterGenerationGuard(new Guard(async (_, cancel) =>
        {
            using (var exclusive = await s.Cache.AcquireAsync(LeaseMode.Exclusive, cancel))
                exclusive.Model.Patches.Apply(new Dictionary<string, Tensor> { [name] = zeros(s.Model.Tiny.get_parameter(name)!.shape) }, $"v{n++}");
            return GuardDecision.Allow();
        }));
        using var ticket = await s.Gate.AdmitAsync(["x"]);
        Assert.False(ticket.Allowed);
        Assert.Contains("kept changing", ticket.Message);
    }
}

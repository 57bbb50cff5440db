using System.Collections.Concurrent;
using Host.Abstractions;
using DiffusionEngine.Scheduling;
using static TorchSharp.torch;

namespace SampleHost.LoadedModels;

/// <summary>A model's DDIM scheduler as plugins see it (<see cref="INoiseSchedule"/>).</summary>
public sealed class DdimNoiseSchedule(DdimScheduler scheduler) : INoiseSchedule, IDisposable
{
    // One scheduler per step count: SetTimesteps changes state, and callers may sample concurrently; a set
    // scheduler's Step only reads.
    private readonly ConcurrentDictionary<int, Lazy<DdimScheduler>> _bySteps = new();

    public int TrainTimesteps => scheduler.NumTrainTimesteps;
    public Tensor AlphasCumprod => scheduler.AlphasCumprod;
    public double FinalAlphaCumprod => scheduler.FinalAlphaCumprod;

    public long[] DdimTimesteps(int steps) => For(steps).Timesteps;

    public Tensor DdimStep(Tensor modelOutput, long timestep, Tensor sample, int steps)
    {
        using var output = modelOutput.to(sample.dtype);
        return For(steps).Step(output, timestep, sample);
    }

    private DdimScheduler For(int steps)
    {
        if (steps < 1 || steps > scheduler.NumTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"DDIM steps must lie in 1..{scheduler.NumTrainTimesteps}");
        return _bySteps.GetOrAdd(steps, n => new Lazy<DdimScheduler>(() =>
        {
            var s = new DdimScheduler(scheduler.Config);
            s.SetTimesteps(n);
            return s;
        })).Value;
    }

    public void Dispose()
    {
        foreach (var s in _bySteps.Values)
            if (s.IsValueCreated) s.Value.Dispose();
    }
}

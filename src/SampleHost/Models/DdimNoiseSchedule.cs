using Host.Abstractions;
using SampleHost.Engine.Scheduling;
using static TorchSharp.torch;

namespace SampleHost.Models;

/// <summary>A model's DDIM scheduler as plugins see it (<see cref="INoiseSchedule"/>).</summary>
internal sealed class DdimNoiseSchedule(DdimScheduler scheduler) : INoiseSchedule
{
    public int TrainTimesteps => scheduler.NumTrainTimesteps;
    public Tensor AlphasCumprod => scheduler.AlphasCumprod;
    public double FinalAlphaCumprod => scheduler.FinalAlphaCumprod;

    public long[] DdimTimesteps(int steps)
    {
        // A scheduler of its own: SetTimesteps changes state, and callers may sample concurrently.
        using var s = new DdimScheduler(scheduler.Config);
        return s.SetTimesteps(steps);
    }
}

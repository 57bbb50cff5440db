using static TorchSharp.torch;

namespace Host.Abstractions;

/// <summary>The model's diffusion noise schedule (as its scheduler config defines it).</summary>
public interface INoiseSchedule
{
    /// <summary>Number of training timesteps (1000 for SD 1.x).</summary>
    int TrainTimesteps { get; }

    /// <summary>Cumulative product of (1 - beta): float32 [TrainTimesteps] on the CPU.</summary>
    Tensor AlphasCumprod { get; }

    /// <summary>alpha_cumprod used for the step after the last one (per the config's set_alpha_to_one).</summary>
    double FinalAlphaCumprod { get; }

    /// <summary>The DDIM timesteps for a step count, in sampling order (e.g. 981, 961, ..., 1 for 50).</summary>
    long[] DdimTimesteps(int steps);
}

using static TorchSharp.torch;

namespace Host.Abstractions;

/// <summary>The model's diffusion noise schedule and its DDIM sampler step (as its scheduler config defines them).</summary>
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

    /// <summary>
    /// One deterministic DDIM step (eta 0) of the <paramref name="steps"/>-step schedule, from <paramref name="timestep"/>
    /// to the timestep <c>TrainTimesteps / steps</c> below it (or the final alpha past the start), with the model's
    /// prediction type, clipping and thresholding as its scheduler config sets them. Added in contract 2.0.
    /// </summary>
    /// <param name="modelOutput">The (guided) model output at <paramref name="timestep"/>, shaped like <paramref name="sample"/>.</param>
    /// <param name="timestep">The timestep the step starts from: one of <see cref="DdimTimesteps"/>(<paramref name="steps"/>).</param>
    /// <param name="sample">x at <paramref name="timestep"/>; the result has its dtype (keep it float32 across steps).</param>
    /// <param name="steps">The schedule's step count.</param>
    Tensor DdimStep(Tensor modelOutput, long timestep, Tensor sample, int steps);
}

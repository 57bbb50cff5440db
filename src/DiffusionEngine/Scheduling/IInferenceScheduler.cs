using static TorchSharp.torch;

namespace DiffusionEngine.Scheduling;

/// <summary>
/// A sampler's scheduler as a guided sampling loop uses it (diffusers' scheduler protocol): choose the timesteps, scale
/// the initial noise and each model input, and step from a model output to the next sample.
/// </summary>
public interface IInferenceScheduler : IDisposable
{
    /// <summary>Chooses the timesteps for <paramref name="steps"/> steps; returns how many steps the loop runs.</summary>
    int SetTimesteps(int steps);

    /// <summary>The timestep of step <paramref name="index"/>, as the model takes it (int64 for DDIM, float32 for Euler): [batch].</summary>
    Tensor ModelTimestep(int index, long batch, Device device);

    /// <summary>The factor the initial noise N(0, 1) is multiplied by.</summary>
    double InitNoiseSigma { get; }

    /// <summary>The model's input at step <paramref name="index"/> (Euler divides by sqrt(sigma^2 + 1); DDIM leaves it).</summary>
    Tensor ScaleModelInput(Tensor sample, int index);

    /// <summary>The next sample from the (guided) model output at step <paramref name="index"/>; a new tensor.</summary>
    Tensor Step(Tensor modelOutput, int index, Tensor sample, double eta = 0, Generator? generator = null);
}

using DiffusionEngine.Scheduling;
using DiffusionEngine.Unet;
using static TorchSharp.torch;

namespace DiffusionEngine.StableDiffusion;

/// <summary>
/// Sampling with classifier-free guidance, as the SD and SDXL pipelines do: each step runs the U-Net once on
/// [uncond; cond] (through its call path, so forward hooks see it) and moves the latents with
/// eps = eps_u + w (eps_c - eps_u), by any <see cref="IInferenceScheduler"/> (DDIM, Euler).
/// </summary>
public static class GuidedSampler
{
    /// <param name="noise">x_T [B, C, h, w] before the scheduler's init sigma (N(0, 1)).</param>
    /// <param name="cond">the prompts' conditioning, batch B.</param>
    /// <param name="uncond">the negative prompts' conditioning, batch B.</param>
    /// <returns>x_0 latents [B, C, h, w] (unscaled).</returns>
    public static Tensor Sample(UNet2DConditionModel unet, IInferenceScheduler scheduler, Tensor noise,
        PromptConditioning cond, PromptConditioning uncond, double guidance, int steps, double eta = 0, Generator? generator = null,
        Action<int, int>? onStep = null, CancellationToken cancel = default)
    {
        using var noGrad = no_grad();
        int count = scheduler.SetTimesteps(steps);
        using var context = PromptConditioning.Cat(uncond, cond);
        var x = scheduler.InitNoiseSigma == 1 ? noise.alias() : noise * scheduler.InitNoiseSigma;
        for (int i = 0; i < count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var input = scheduler.ScaleModelInput(cat([x, x]), i);
            var t = scheduler.ModelTimestep(i, 2 * x.shape[0], x.device);
            var eps = unet.call(input, t, context.HiddenStates, context.Added).chunk(2);
            var guided = eps[0] + guidance * (eps[1] - eps[0]);
            var next = scheduler.Step(guided, i, x, eta, generator);
            x.Dispose();
            x = next.MoveToOuterDisposeScope();
            onStep?.Invoke(i + 1, count);
        }
        return x;
    }
}

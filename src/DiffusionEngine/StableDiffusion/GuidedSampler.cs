using DiffusionEngine.Scheduling;
using DiffusionEngine.Unet;
using static TorchSharp.torch;

namespace DiffusionEngine.StableDiffusion;

/// <summary>
/// Sampling with classifier-free guidance, as the SD and SDXL pipelines do: each step runs the U-Net once on
/// [uncond; cond] (through its call path, so forward hooks see it) and moves the latents with
/// eps = eps_u + w (eps_c - eps_u), by any <see cref="IInferenceScheduler"/> (DDIM, Euler). With an active
/// <see cref="SafetyGuidance"/> the batch is [uncond; cond; concept] and the guidance is SLD's (<see cref="SafeLatentGuidance"/>).
/// </summary>
public static class GuidedSampler
{
    /// <param name="noise">x_T [B, C, h, w] before the scheduler's init sigma (N(0, 1)).</param>
    /// <param name="cond">the prompts' conditioning, batch B.</param>
    /// <param name="uncond">the negative prompts' conditioning, batch B.</param>
    /// <param name="safety">Safe Latent Diffusion's settings and its concept's conditioning (batch B); null: none.</param>
    /// <returns>x_0 latents [B, C, h, w] (unscaled).</returns>
    public static Tensor Sample(UNet2DConditionModel unet, IInferenceScheduler scheduler, Tensor noise,
        PromptConditioning cond, PromptConditioning uncond, double guidance, int steps, double eta = 0, Generator? generator = null,
        Action<int, int>? onStep = null, CancellationToken cancel = default, (SafetyGuidance Settings, PromptConditioning Concept)? safety = null)
    {
        using var noGrad = no_grad();
        int count = scheduler.SetTimesteps(steps);
        // As diffusers: an inactive SLD (scale at most 1) samples exactly as plain guidance does.
        using var sld = safety is { Settings.IsActive: true } s ? new SafeLatentGuidance(s.Settings) : null;
        int parts = sld is null ? 2 : 3;
        using var context = sld is null ? PromptConditioning.Cat(uncond, cond) : PromptConditioning.Cat(uncond, cond, safety!.Value.Concept);
        var x = scheduler.InitNoiseSigma == 1 ? noise.alias() : noise * scheduler.InitNoiseSigma;
        for (int i = 0; i < count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var input = scheduler.ScaleModelInput(cat(Enumerable.Repeat(x, parts).ToList()), i);
            var t = scheduler.ModelTimestep(i, parts * x.shape[0], x.device);
            var eps = unet.call(input, t, context.HiddenStates, context.Added).chunk(parts);
            var guided = sld is null ? eps[0] + guidance * (eps[1] - eps[0]) : eps[0] + guidance * sld.Guidance(eps[0], eps[1], eps[2], i);
            var next = scheduler.Step(guided, i, x, eta, generator);
            x.Dispose();
            x = next.MoveToOuterDisposeScope();
            onStep?.Invoke(i + 1, count);
        }
        return x;
    }
}

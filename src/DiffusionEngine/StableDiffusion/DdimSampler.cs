using DiffusionEngine.Scheduling;
using static TorchSharp.torch;

namespace DiffusionEngine.StableDiffusion;

/// <summary>
/// DDIM sampling with classifier-free guidance: each step runs the U-Net once on [uncond; cond] and moves
/// the latents with eps = eps_u + w (eps_c - eps_u), as the SD pipeline does.
/// </summary>
public static class DdimSampler
{
    /// <param name="latents">x_T [B, C, h, w] (already scaled by the scheduler's init sigma, which is 1 for DDIM).</param>
    /// <param name="cond">[B, 77, D] prompt embeddings.</param>
    /// <param name="uncond">[B, 77, D] negative-prompt embeddings.</param>
    /// <returns>x_0 latents [B, C, h, w] (unscaled).</returns>
    public static Tensor Sample(nn.Module<Tensor, Tensor, Tensor, Tensor> unet, DdimScheduler scheduler, Tensor latents,
        Tensor cond, Tensor uncond, double guidance, int steps, double eta = 0, Generator? generator = null,
        Action<int, int>? onStep = null, CancellationToken cancel = default)
    {
        using var noGrad = no_grad();
        var timesteps = scheduler.SetTimesteps(steps);
        using var context = cat([uncond, cond]);
        var x = latents.alias();
        for (int i = 0; i < timesteps.Length; i++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var t = full([2 * x.shape[0]], timesteps[i], int64, x.device);
            var eps = unet.call(cat([x, x]), t, context).chunk(2);
            var guided = eps[0] + guidance * (eps[1] - eps[0]);
            var next = scheduler.Step(guided, timesteps[i], x, eta, generator);
            x.Dispose();
            x = next.MoveToOuterDisposeScope();
            onStep?.Invoke(i + 1, timesteps.Length);
        }
        return x;
    }
}

using Host.Abstractions;
using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>
/// Runs the first k steps of a DDIM (eta 0) trajectory with classifier-free guidance, as ESD does to obtain x_t
/// from fresh noise. Plain DDIM arithmetic on the model's alphas_cumprod, so the plugin needs only the schedule.
/// </summary>
internal static class PartialDdimSampler
{
    /// <param name="noise">x_T [B, C, h, w]</param>
    /// <param name="context">[uncond x B; cond x B] embeddings [2B, 77, D]</param>
    /// <param name="timesteps">the T-step DDIM timesteps in sampling order</param>
    /// <returns>x after <paramref name="steps"/> steps (no gradient)</returns>
    public static Tensor Sample(nn.Module<Tensor, Tensor, Tensor, Tensor> unet, INoiseSchedule schedule, long[] timesteps,
        Tensor noise, Tensor context, double guidance, int steps, CancellationToken cancel)
    {
        using var noGrad = no_grad();
        var ac = schedule.AlphasCumprod;
        var x = noise.alias();
        for (int i = 0; i < steps; i++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            long t = timesteps[i];
            double aT = ac[t].item<float>();
            double aPrev = i + 1 < timesteps.Length ? ac[timesteps[i + 1]].item<float>() : schedule.FinalAlphaCumprod;
            var tt = full([2 * x.shape[0]], t, int64, x.device);
            var eps = unet.forward(cat([x, x]), tt, context).chunk(2);
            var e = eps[0] + guidance * (eps[1] - eps[0]);
            var x0 = (x - Math.Sqrt(1 - aT) * e) / Math.Sqrt(aT);
            var next = Math.Sqrt(aPrev) * x0 + Math.Sqrt(1 - aPrev) * e;
            x.Dispose();
            x = next.MoveToOuterDisposeScope();
        }
        return x;
    }
}

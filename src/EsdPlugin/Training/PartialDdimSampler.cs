using Host.Abstractions;
using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>
/// Runs part of a DDIM (eta 0) trajectory with classifier-free guidance, as ESD does to obtain x_t from fresh noise.
/// Each step is the host scheduler's (<see cref="INoiseSchedule.DdimStep"/>), so the model's prediction type and
/// clipping are honoured; x stays float32 between steps whatever the U-Net's dtype.
/// </summary>
internal static class PartialDdimSampler
{
    /// <param name="noise">x_T [B, C, h, w]</param>
    /// <param name="context">[uncond x B; cond x B]: batch 2B, in the model's dtype</param>
    /// <param name="timesteps">the T-step DDIM timesteps in sampling order</param>
    /// <param name="first">sampling index of the first step run</param>
    /// <param name="count">steps run</param>
    /// <returns>x after the steps, float32 (no gradient)</returns>
    public static Tensor Sample(ILoadedModel model, long[] timesteps,
        Tensor noise, Conditioning context, double guidance, int first, int count, CancellationToken cancel)
    {
        using var noGrad = no_grad();
        var dtype = context.HiddenStates.dtype;
        var schedule = model.Schedule;
        var x = noise.to(float32);
        for (int i = first; i < first + count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            long t = timesteps[i];
            var tt = full([2 * x.shape[0]], t, int64, x.device);
            var input = x.to(dtype);
            var eps = model.Denoise(cat([input, input]), tt, context).chunk(2);
            var e = eps[0] + guidance * (eps[1] - eps[0]);
            var next = schedule.DdimStep(e, t, x, timesteps.Length);
            x.Dispose();
            x = next.MoveToOuterDisposeScope();
        }
        return x;
    }
}

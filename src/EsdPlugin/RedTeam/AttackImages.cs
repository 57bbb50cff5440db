using EsdPlugin.Training;
using Host.Abstractions;
using static TorchSharp.torch;

namespace EsdPlugin.RedTeam;

/// <summary>What the live (edited) model draws for a conditioning: the images the red team shows and the host judges.</summary>
internal static class AttackImages
{
    /// <summary>
    /// <paramref name="count"/> images [K, 3, H, W] in [-1, 1] (float32, CPU) by guided DDIM from noise seeded
    /// <paramref name="seed"/>; the same seed gives every attack the same starting noise.
    /// </summary>
    public static Tensor Generate(ILoadedModel model, Conditioning cond, Conditioning uncond, int count, long seed, int steps, double guidance,
        CancellationToken cancel)
    {
        using var noGrad = no_grad();
        var timesteps = model.Schedule.DdimTimesteps(steps);
        using var g = new Generator(unchecked((ulong)seed ^ 0x1A6E5UL));
        using var noise = randn([count, .. model.LatentShape], float32, CPU, generator: g);
        using var onDevice = noise.to(model.Device);
        using var context = Conditioning.Cat(uncond.Expand(count), cond.Expand(count));
        using var latents = PartialDdimSampler.Sample(model, timesteps, onDevice, context, guidance, 0, timesteps.Length, cancel);
        return model.DecodeLatents(latents.to(model.Dtype));
    }
}

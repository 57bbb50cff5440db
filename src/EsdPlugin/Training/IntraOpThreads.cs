using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>
/// LibTorch's intra-op thread count for a stretch of work. A small U-Net's iteration is hundreds of tiny kernels at
/// batch 1 to 3, where waking a second thread for each costs more than it brings (measured on the bundled model: 50 ms
/// an iteration with two threads, 32 ms with one), while the pools' batch-128 fills still gain from every core. The
/// count is process-wide in LibTorch; training holds the model's exclusive lease, so no other model call runs meanwhile.
/// </summary>
internal sealed class IntraOpThreads : IDisposable
{
    /// <summary>Below this many FLOPs a U-Net call is overhead-bound on one thread.</summary>
    private const double SmallCallFlops = 1e9;

    private readonly int _previous;

    private IntraOpThreads(int threads)
    {
        _previous = get_num_threads();
        set_num_threads(threads);
    }

    /// <summary>Runs on <paramref name="threads"/> threads until disposed, then as before.</summary>
    public static IDisposable Use(int threads) => new IntraOpThreads(threads);

    /// <summary>
    /// Whether an iteration's U-Net calls, batch <paramref name="callsOf"/> x the latent batch, stay small: estimated at
    /// 2 FLOPs per parameter and latent pixel (an upper bound: deeper levels see fewer pixels).
    /// </summary>
    public static bool SmallCalls(nn.Module unet, long[] latentShape, int callsOf)
    {
        if (get_num_threads() <= 1) return false;
        double parameters = unet.parameters().Sum(p => (double)p.numel());
        double pixels = latentShape.Length >= 2 ? latentShape[^1] * latentShape[^2] : 1;
        return 2 * parameters * pixels * latentShape[0] * callsOf < SmallCallFlops;
    }

    public void Dispose() => set_num_threads(_previous);
}

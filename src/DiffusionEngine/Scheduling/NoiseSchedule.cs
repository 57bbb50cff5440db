using static TorchSharp.torch;

namespace DiffusionEngine.Scheduling;

/// <summary>
/// The training noise schedule: betas and their cumulative alpha product, float32 on the CPU, computed
/// with the same torch operations as diffusers (so values equal the Python ones bit for bit).
/// </summary>
public static class NoiseSchedule
{
    /// <summary>betas, float32 [num_train_timesteps].</summary>
    public static Tensor Betas(SchedulerConfig config)
    {
        int n = config.NumTrainTimesteps;
        Tensor betas;
        if (config.TrainedBetas is not null)
            betas = tensor(config.TrainedBetas.Select(b => (float)b).ToArray(), ScalarType.Float32);
        else
        {
            betas = config.BetaSchedule switch
            {
                BetaSchedule.Linear => linspace(config.BetaStart, config.BetaEnd, n, ScalarType.Float32),
                BetaSchedule.ScaledLinear => ScaledLinear(Math.Sqrt(config.BetaStart), Math.Sqrt(config.BetaEnd), n),
                BetaSchedule.SquaredCosCapV2 => tensor(CosineBetas(n), ScalarType.Float32),
                _ => throw new ArgumentOutOfRangeException(nameof(config), config.BetaSchedule, "unknown beta schedule"),
            };
        }
        if (!config.RescaleBetasZeroSnr) return betas;
        using (betas) return RescaleZeroTerminalSnr(betas);
    }

    /// <summary>cumprod(1 - betas), float32 [num_train_timesteps].</summary>
    public static Tensor AlphasCumprod(Tensor betas)
    {
        using var alphas = 1.0 - betas;
        return alphas.cumprod(0);
    }

    private static Tensor ScaledLinear(double sqrtStart, double sqrtEnd, int n)
    {
        using var roots = linspace(sqrtStart, sqrtEnd, n, ScalarType.Float32);
        return roots.pow(2);
    }

    // Glide's cosine schedule: beta_i = min(1 - abar((i+1)/n) / abar(i/n), 0.999), abar(t) = cos((t + 0.008) / 1.008 * pi / 2)^2.
    private static float[] CosineBetas(int n)
    {
        static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
        var betas = new float[n];
        for (int i = 0; i < n; i++)
            betas[i] = (float)Math.Min(1 - AlphaBar((double)(i + 1) / n) / AlphaBar((double)i / n), 0.999);
        return betas;
    }

    // Lin et al. 2023, Algorithm 1: shift and scale sqrt(alphas_cumprod) so the last step has zero SNR.
    private static Tensor RescaleZeroTerminalSnr(Tensor betas)
    {
        using var scope = NewDisposeScope();
        var alphas = 1.0 - betas;
        var alphasBarSqrt = alphas.cumprod(0).sqrt();
        var first = alphasBarSqrt[0].clone();
        var last = alphasBarSqrt[-1].clone();
        alphasBarSqrt.sub_(last);
        alphasBarSqrt.mul_(first / (first - last));
        var alphasBar = alphasBarSqrt.pow(2);
        var ratios = alphasBar[1..] / alphasBar[..^1];
        var rescaledAlphas = cat([alphasBar[..1], ratios], 0);
        return scope.MoveToOuter(1.0 - rescaledAlphas);
    }
}

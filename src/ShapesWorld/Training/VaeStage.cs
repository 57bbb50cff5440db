using System.Diagnostics;
using DiffusionEngine.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace ShapesWorld.Training;

/// <summary>
/// Trains the autoencoder on rendered scenes as a (nearly) deterministic autoencoder, as SD's VAE is in
/// practice (its KL weight is 1e-6): reconstruction of the latent mean, plus a small penalty that keeps the
/// latents near unit scale. Returns 1/std of the latents: the config's scaling_factor.
/// </summary>
public static class VaeStage
{
    public sealed record Options(int Steps = 1500, int BatchSize = 32, double LearningRate = 1e-3, int Seed = 1, int CheckpointEvery = 500, int ReportEvery = 25);

    public static double Train(AutoencoderKL vae, Options o, string checkpointFolder, bool resume,
        Action<TrainingReport>? progress, CancellationToken cancel)
    {
        manual_seed(o.Seed);
        vae.train();
        using var optimizer = optim.AdamW(vae.parameters(), lr: o.LearningRate, weight_decay: 0);
        var checkpoint = new StageCheckpoint(checkpointFolder);
        var modules = new Dictionary<string, nn.Module> { ["vae"] = vae };
        int start = resume && checkpoint.Step is not null ? checkpoint.Load(modules, optimizer, o.Steps) : 0;
        var clock = Stopwatch.StartNew();
        for (int step = start; step < o.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            foreach (var g in optimizer.ParamGroups) g.LearningRate = o.LearningRate * CosineFactor(step, o.Steps);
            using var scope = NewDisposeScope();
            var rng = new Random(unchecked((int)StageSeed.For(o.Seed, step)));
            using var batch = WorldBatch.Random(rng, o.BatchSize, WorldModelConfigs.ImageSize, withCaptions: false);
            var z = vae.Encode(batch.Images);
            var recon = vae.Decode(z);
            var loss = nn.functional.mse_loss(recon, batch.Images) + 0.5 * nn.functional.l1_loss(recon, batch.Images) + 1e-4 * z.pow(2).mean();
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            if ((step + 1) % o.ReportEvery == 0 || step + 1 == o.Steps)
                progress?.Invoke(new TrainingReport("vae", step + 1, o.Steps, loss.item<float>(), clock.Elapsed, start));
            if ((step + 1) % o.CheckpointEvery == 0 && step + 1 < o.Steps) checkpoint.Save(step + 1, modules, optimizer);
        }
        vae.eval();
        checkpoint.Delete();
        return 1.0 / LatentStd(vae, o.Seed + 7);
    }

    public static double LatentStd(AutoencoderKL vae, int seed)
    {
        using var noGrad = no_grad();
        using var batch = WorldBatch.Random(new Random(seed), 512, WorldModelConfigs.ImageSize, withCaptions: false);
        using var z = vae.Encode(batch.Images);
        return z.std().item<float>();
    }

    /// <summary>Linear warm-up over the first 5% then cosine decay to 5% of the rate.</summary>
    public static double CosineFactor(int step, int steps)
    {
        int warm = Math.Max(1, steps / 20);
        if (step < warm) return (step + 1.0) / warm;
        double p = (double)(step - warm) / Math.Max(1, steps - warm);
        return 0.05 + 0.95 * 0.5 * (1 + Math.Cos(Math.PI * p));
    }
}

using System.Diagnostics;
using DiffusionEngine.Scheduling;
using DiffusionEngine.Text;
using DiffusionEngine.Unet;
using DiffusionEngine.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace ShapesWorld.Training;

/// <summary>
/// Trains the U-Net and the text encoder together on the frozen autoencoder's latents: epsilon prediction on
/// SD 1.x's scaled-linear schedule. Captions are written afresh for each use of a scene (attributes left out at
/// random, 10% empty), so the model learns both what a word means and what to draw when it is missing.
/// </summary>
public static class DiffusionStage
{
    public sealed record Options(int Steps = 6000, int BatchSize = 64, int DatasetSize = 30000, double LearningRate = 6e-4, int Seed = 2, int CheckpointEvery = 500, int ReportEvery = 25,
        double MinSnrGamma = 5);

    public static void Train(UNet2DConditionModel unet, ClipTextModel text, ClipTokenizer tokenizer, AutoencoderKL vae, double scalingFactor,
        Options o, string checkpointFolder, bool resume, Action<TrainingReport>? progress, CancellationToken cancel)
    {
        manual_seed(o.Seed);
        var (scenes, latents) = EncodeDataset(vae, scalingFactor, o.DatasetSize, o.Seed, cancel);
        using var _ = latents;
        using var scheduler = new DdimScheduler(SchedulerConfig.StableDiffusion1);
        var alphas = scheduler.AlphasCumprod; // float32 [1000]

        unet.train();
        text.train();
        var parameters = unet.parameters().Concat(text.parameters()).ToList();
        foreach (var p in parameters) p.requires_grad = true;
        using var optimizer = optim.AdamW(parameters, lr: o.LearningRate, weight_decay: 1e-2);
        var checkpoint = new StageCheckpoint(checkpointFolder);
        var modules = new Dictionary<string, nn.Module> { ["unet"] = unet, ["text_encoder"] = text };
        int start = resume && checkpoint.Step is not null ? checkpoint.Load(modules, optimizer, o.Steps) : 0;
        var clock = Stopwatch.StartNew();
        for (int step = start; step < o.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            foreach (var g in optimizer.ParamGroups) g.LearningRate = o.LearningRate * VaeStage.CosineFactor(step, o.Steps);
            using var scope = NewDisposeScope();
            var rng = new Random(unchecked((int)StageSeed.For(o.Seed, step)));
            using var generator = new Generator((ulong)StageSeed.For(o.Seed, step));
            var index = Enumerable.Range(0, o.BatchSize).Select(_ => (long)rng.Next(scenes.Count)).ToArray();
            var captions = index.Select(i => CaptionWriter.Write(scenes[(int)i], rng)).ToList();
            var x0 = latents.index_select(0, tensor(index));
            var t = randint(0, alphas.shape[0], [o.BatchSize], int64, generator: generator);
            var noise = randn(x0.shape, generator: generator);
            var a = alphas.index_select(0, t).view(-1, 1, 1, 1);
            var xt = a.sqrt() * x0 + (1 - a).sqrt() * noise;
            var emb = text.forward(tokenizer.EncodeBatch(captions));
            var predicted = unet.call(xt, t, emb);
            var loss = o.MinSnrGamma > 0 ? MinSnrLoss(predicted, noise, a, o.MinSnrGamma) : nn.functional.mse_loss(predicted, noise);
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            if ((step + 1) % o.ReportEvery == 0 || step + 1 == o.Steps)
                progress?.Invoke(new TrainingReport("diffusion", step + 1, o.Steps, loss.item<float>(), clock.Elapsed, start));
            if ((step + 1) % o.CheckpointEvery == 0 && step + 1 < o.Steps) checkpoint.Save(step + 1, modules, optimizer);
        }
        foreach (var p in parameters) p.requires_grad = false;
        unet.eval();
        text.eval();
        checkpoint.Delete();
    }

    /// <summary>
    /// Min-SNR-gamma weighting (Hang et al., 2023) for epsilon prediction: each sample's squared error times
    /// min(SNR, gamma) / SNR, SNR = a / (1 - a). Nearly clean timesteps, which only polish detail, stop
    /// dominating the gradient, and the noisy ones, where the layout and the shape are decided, get more of it.
    /// </summary>
    /// <param name="a">alpha-bar of each sample's timestep, [B, 1, 1, 1].</param>
    internal static Tensor MinSnrLoss(Tensor predicted, Tensor noise, Tensor a, double gamma)
    {
        var snr = (a / (1 - a)).flatten();
        var weight = snr.clamp(max: gamma) / snr;
        var perSample = (predicted - noise).square().mean([1, 2, 3]);
        return (perSample * weight).mean();
    }

    /// <summary>Renders the training scenes and encodes them once: scaled latents [N, 4, 8, 8].</summary>
    private static (List<Scene> Scenes, Tensor Latents) EncodeDataset(AutoencoderKL vae, double scale, int count, int seed, CancellationToken cancel)
    {
        using var noGrad = no_grad();
        var rng = new Random(seed);
        var scenes = new List<Scene>(count);
        var chunks = new List<Tensor>();
        vae.eval();
        for (int done = 0; done < count; done += 512)
        {
            cancel.ThrowIfCancellationRequested();
            int n = Math.Min(512, count - done);
            var chunk = Enumerable.Range(0, n).Select(_ => Scene.Random(rng)).ToList();
            scenes.AddRange(chunk);
            using var batch = WorldBatch.FromScenes(chunk, chunk.Select(_ => "").ToList(), WorldModelConfigs.ImageSize);
            using var z = vae.Encode(batch.Images);
            chunks.Add(z * scale);
        }
        var all = cat(chunks);
        foreach (var c in chunks) c.Dispose();
        return (scenes, all);
    }
}

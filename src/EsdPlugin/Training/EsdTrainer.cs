using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Host.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>
/// ESD fine-tuning (Gandikota et al., ICCV 2023) of a leased model's U-Net in place. Per iteration: draw a
/// concept and k in [0, T); sample x_t by k DDIM steps with guidance from fresh noise; map k to a training
/// timestep t in [k/T*1000, (k+1)/T*1000) (or the timestep x_t was sampled to); c is the concept in one of the prompt
/// templates; with the frozen original compute e0 = eps(x_t, "", t) and
/// ep = eps(x_t, c, t); train eps_theta(x_t, c, t) towards e0 - eta (ep - e0) with MSE and Adam.
/// Whatever happens, the live parameters end as they began: the trained values come back as a result.
/// </summary>
internal sealed class EsdTrainer(ILoadedModel model, ITensorFiles files)
{
    /// <summary>Checkpoint folder for resumable runs (null: no checkpoints).</summary>
    public string? CheckpointFolder { get; init; }

    /// <summary>Iterations between checkpoints.</summary>
    public int CheckpointEvery { get; init; } = 50;

    public EsdResult Train(EsdSettings s, bool resume, Action<EsdProgress>? progress, CancellationToken cancel)
    {
        if (s.Concepts.Count == 0) throw new ArgumentException("at least one concept is needed");
        if (s.DdimSteps < 1 || s.Iterations < 1 || s.BatchSize < 1) throw new ArgumentException("iterations, ddim steps and batch size must be at least 1");
        var unet = model.Unet;
        var trained = TrainableParameters.Select(unet, s.Method);
        using var originals = new FrozenOriginals(trained);
        var baseFingerprint = TensorFingerprint.Of(originals.Originals);
        var runKey = RunKey(s, baseFingerprint);
        var checkpoint = CheckpointFolder is null ? null : new TrainingCheckpoint(Path.Combine(CheckpointFolder, runKey[..16]), files);

        bool wasTraining = unet.training;
        try
        {
            foreach (var (_, p) in trained) p.requires_grad = true;
            using var optimizer = optim.Adam(trained.Select(t => t.Parameter), lr: s.LearningRate);
            int start = 0;
            if (resume && checkpoint?.Load(runKey, trained, optimizer) is { } reached) start = reached;

            using var uncond = model.TextEncoder.Encode([""]);
            // [concept][template] -> (1, tokens, hidden) text embeddings
            var templates = ConceptPrompts.Validate(s.PromptTemplates);
            var conditions = s.Concepts.Select(c => ConceptPrompts.For(c, templates)
                .Select(prompt => model.TextEncoder.Encode([prompt])).ToList()).ToList();
            var timesteps = model.Schedule.DdimTimesteps(s.DdimSteps);
            long[] latentShape = [s.BatchSize, .. model.LatentShape];
            float loss = float.NaN;
            var clock = Stopwatch.StartNew();
            try
            {
                for (int i = start; i < s.Iterations; i++)
                {
                    cancel.ThrowIfCancellationRequested();
                    loss = Iteration(s, i, trained, originals, optimizer, uncond, conditions, timesteps, latentShape, cancel);
                    int done = i + 1;
                    if (checkpoint is not null && done % CheckpointEvery == 0 && done < s.Iterations)
                        checkpoint.Save(done, runKey, trained, optimizer);
                    var elapsed = clock.Elapsed;
                    var remaining = done > start ? elapsed * ((double)(s.Iterations - done) / (done - start)) : (TimeSpan?)null;
                    progress?.Invoke(new EsdProgress(done, s.Iterations, loss, elapsed, remaining));
                }
            }
            finally
            {
                foreach (var c in conditions.SelectMany(x => x)) c.Dispose();
            }

            var result = new Dictionary<string, Tensor>();
            using (no_grad())
                foreach (var (name, p) in trained) result[name] = p.detach().to(model.Dtype, CPU, copy: true);
            checkpoint?.Delete();
            return new EsdResult(result, baseFingerprint, loss, s.Iterations - start);
        }
        finally
        {
            originals.RestoreParameters();
            foreach (var (_, p) in trained)
            {
                p.requires_grad = false;
                p.grad?.Dispose();
                p.grad = null;
            }
            unet.train(wasTraining);
        }
    }

    private float Iteration(EsdSettings s, int iteration, List<(string Name, TorchSharp.Modules.Parameter Parameter)> trained,
        FrozenOriginals originals, optim.Optimizer optimizer, Tensor uncond, List<List<Tensor>> conditions, long[] timesteps,
        long[] latentShape, CancellationToken cancel)
    {
        using var scope = NewDisposeScope();
        // Seeded per iteration: a resumed run draws exactly what the uninterrupted run would have.
        // Not HashCode.Combine: its seed differs per process.
        long drawSeed = s.Seed * 1_000_003L + iteration;
        var rng = new Random(unchecked((int)drawSeed));
        using var generator = new Generator((ulong)drawSeed);
        var prompts = conditions[rng.Next(conditions.Count)];
        // Only drawn when there is a choice, so that single-template runs keep the draws they always had.
        var cond = prompts.Count == 1 ? prompts[0] : prompts[rng.Next(prompts.Count)];
        int k = rng.Next(s.DdimSteps);
        int tLow = (int)Math.Round((double)k / s.DdimSteps * 1000), tHigh = (int)Math.Round((double)(k + 1) / s.DdimSteps * 1000);
        long t = s.MatchedTimesteps ? timesteps[k] : rng.Next(tLow, Math.Max(tLow + 1, tHigh));

        var noise = randn(latentShape, float32, CPU, generator: generator).to(model.Dtype, model.Device);
        long b = latentShape[0];
        var conds = cond.expand(b, -1, -1);                  // [B, 77, D]
        var context = cat([uncond.expand(b, -1, -1), conds]); // [2B, 77, D]
        Tensor xt;
        model.Unet.eval();
        if (s.XtFrom == XtSource.Frozen)
            using (originals.AsTeacher()) xt = PartialDdimSampler.Sample(model.Unet, model.Schedule, timesteps, noise, context, s.StartGuidance, k, cancel);
        else
            xt = PartialDdimSampler.Sample(model.Unet, model.Schedule, timesteps, noise, context, s.StartGuidance, k, cancel);

        var tt = full([b], t, int64, model.Device);
        Tensor target;
        using (no_grad())
        using (originals.AsTeacher())
        {
            var both = model.Unet.forward(cat([xt, xt]), full([2 * b], t, int64, model.Device), context).chunk(2);
            var (e0, ep) = (both[0], both[1]);
            target = (e0 - s.Eta * (ep - e0)).detach();
        }
        var en = model.Unet.forward(xt, tt, conds);
        var loss = nn.functional.mse_loss(en.to(float32), target.to(float32));
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }

    /// <summary>Identifies a run (settings and base) so that --resume only continues the same run.</summary>
    private static string RunKey(EsdSettings s, string baseFingerprint)
    {
        var text = string.Join("|", s.ToMetadata().OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"))
            + "|concepts=" + string.Join(",", s.Concepts) + "|base=" + baseFingerprint;
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}

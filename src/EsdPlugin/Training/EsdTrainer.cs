using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Host.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>
/// ESD fine-tuning (Gandikota et al., ICCV 2023) of a leased model's U-Net in place. Per iteration: draw a
/// concept and k in [0, T); sample x_t with guided DDIM steps from fresh noise and pair it with a training timestep t
/// (<see cref="TimestepPairing"/>: the original code's, or the 2025 scripts'); c is the concept in one of the prompt
/// templates; with the frozen original compute e0 = eps(x_t, "", t) and
/// ep = eps(x_t, c, t); train eps_theta(x_t, c, t) towards e0 - eta (ep - e0) with MSE and Adam. With concepts to
/// keep (<see cref="EsdSettings.Preserve"/>), one of them is also drawn and its prediction held to the frozen one's.
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
        var trained = TrainableParameters.Select(unet, s.Method, model.Family);
        using var originals = new FrozenOriginals(trained);
        var baseFingerprint = TensorFingerprint.Of(originals.Originals);
        var runKey = RunKey(s, baseFingerprint);
        var checkpoint = CheckpointFolder is null ? null : new TrainingCheckpoint(Path.Combine(CheckpointFolder, runKey[..16]), files);

        bool wasTraining = unet.training;
        try
        {
            foreach (var (_, p) in trained) p.requires_grad = true;
            using var masters = new MasterWeights(trained);
            var optimizer = new LowPeakAdam(masters.Masters.Select(t => t.Parameter), s.LearningRate);
            int start = 0;
            int? resumedFrom = null;
            try
            {
                if (resume && checkpoint?.Load(runKey, s.Iterations, masters, optimizer) is { } reached) start = (resumedFrom = reached).Value;
            }
            catch
            {
                optimizer.Dispose();
                throw;
            }

            using var uncond = model.TextEncoder.Encode([""]);
            var templates = ConceptPrompts.Validate(s.PromptTemplates);
            // Per concept, its prompts' encodings: [concept][template] -> (1, tokens, hidden).
            List<List<Conditioning>> Encode(IEnumerable<string> concepts) => concepts.Select(c => ConceptPrompts.For(c, templates)
                .Select(prompt => model.TextEncoder.Encode([prompt])).ToList()).ToList();
            var prompts = new Prompts(uncond, Encode(s.Concepts), Encode(s.Preserve),
                s.EraseFrom is { } from ? Encode([from])[0] : null);
            var timesteps = model.Schedule.DdimTimesteps(s.DdimSteps);
            long[] latentShape = [s.BatchSize, .. model.LatentShape];
            float loss = float.NaN;
            var clock = Stopwatch.StartNew();
            try
            {
                for (int i = start; i < s.Iterations; i++)
                {
                    cancel.ThrowIfCancellationRequested();
                    (loss, var plan) = Iteration(s, i, originals, masters, optimizer, prompts, timesteps, latentShape, cancel);
                    int done = i + 1;
                    // NaN is never success: a diverged run stops here, and no delta is written.
                    if (!float.IsFinite(loss))
                        throw new TrainingDivergedException($"training diverged at iteration {done} of {s.Iterations}: the loss is {loss}; " +
                            $"no delta was written (try a lower --learning-rate than {s.LearningRate:G3})");
                    if (checkpoint is not null && done % CheckpointEvery == 0 && done < s.Iterations)
                        checkpoint.Save(done, runKey, masters, optimizer);
                    var elapsed = clock.Elapsed;
                    var remaining = done > start ? elapsed * ((double)(s.Iterations - done) / (done - start)) : (TimeSpan?)null;
                    progress?.Invoke(new EsdProgress(done, s.Iterations, loss, elapsed, remaining) { Plan = plan });
                }
            }
            finally
            {
                prompts.Dispose();
                // Adam's moments and the gradients go before the result is gathered, so the two never add up.
                optimizer.Dispose();
                masters.ReleaseGradients();
            }

            var result = TrainedValues(masters, originals);
            foreach (var (name, value) in result)
                using (var finite = isfinite(value).all())
                    if (!finite.item<bool>())
                    {
                        foreach (var t in result.Values) t.Dispose();
                        throw new TrainingDivergedException($"training ended with non-finite values in '{name}'; no delta was written");
                    }
            checkpoint?.Delete();
            return new EsdResult(result, baseFingerprint, loss, s.Iterations - start) { SkippedSteps = masters.SkippedSteps, ResumedFrom = resumedFrom };
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

    /// <summary>
    /// The trained values on the CPU in the model's dtype. A float32 U-Net on the CPU trained its live parameters: their
    /// storage becomes the result and the parameters are pointed back at the originals, so nothing is copied.
    /// </summary>
    private Dictionary<string, Tensor> TrainedValues(MasterWeights masters, FrozenOriginals originals)
    {
        if (!masters.Separate && model.Device.type == DeviceType.CPU) return originals.TakeTrained();
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (no_grad())
            foreach (var (name, p) in masters.Masters) result[name] = p.detach().to(model.Dtype, CPU, copy: true);
        return result;
    }

    /// <summary>The run's text encodings: the empty prompt [1, 77, D], and per concept its templates' encodings.</summary>
    private sealed record Prompts(Conditioning Uncond, List<List<Conditioning>> Erased, List<List<Conditioning>> Kept, List<Conditioning>? EraseFrom) : IDisposable
    {
        public void Dispose()
        {
            foreach (var c in Erased.Concat(Kept).SelectMany(x => x).Concat(EraseFrom ?? [])) c.Dispose();
        }
    }

    private (float Loss, XtPlan Plan) Iteration(EsdSettings s, int iteration, FrozenOriginals originals, MasterWeights masters,
        optim.Optimizer optimizer, Prompts prompts, long[] timesteps, long[] latentShape, CancellationToken cancel)
    {
        using var scope = NewDisposeScope();
        // Seeded per iteration: a resumed run draws exactly what the uninterrupted run would have.
        // Not HashCode.Combine: its seed differs per process.
        long drawSeed = s.Seed * 1_000_003L + iteration;
        var rng = new Random(unchecked((int)drawSeed));
        using var generator = new Generator((ulong)drawSeed);
        int template = Draw(prompts.Erased, rng, out var cond);
        int k = rng.Next(s.DdimSteps);
        var plan = s.Pairing.Plan(k, timesteps, model.Schedule.TrainTimesteps, rng);
        long batch = latentShape[0];
        var tt = full([batch], plan.Timestep, int64, model.Device);
        var uncond = prompts.Uncond;
        // --erase-from: x_t and the trained prediction under the "from" prompt (same template).
        var trainedCond = prompts.EraseFrom is { } from ? from[template] : cond;

        var xt = SampleXt(s, originals, uncond, trainedCond, plan, timesteps, latentShape, generator, s.XtFrom, cancel).to(model.Dtype);
        Tensor target;
        using (no_grad())
        using (originals.AsTeacher())
        {
            if (prompts.EraseFrom is null)
            {
                var both = model.Denoise(cat([xt, xt]), cat([tt, tt]), Context(uncond, cond, batch)).to(float32).chunk(2);
                var (e0, ep) = (both[0], both[1]);
                target = (e0 - s.Eta * (ep - e0)).detach();
            }
            else
            {
                var three = model.Denoise(cat([xt, xt, xt]), cat([tt, tt, tt]),
                    Conditioning.Cat(Context(uncond, cond, batch), trainedCond.Expand(batch))).to(float32).chunk(3);
                var (e0, ep, eFrom) = (three[0], three[1], three[2]);
                target = (eFrom - (s.Eta + 1) * (ep - e0)).detach();
            }
        }
        // Drawn after the erasure's draws, so that a run without kept concepts draws what it always did. All the
        // frozen model's work comes before the trained model's: the teacher swap writes into the parameters.
        Tensor? keptXt = null, original = null;
        Conditioning? keptCond = null;
        if (prompts.Kept.Count > 0)
        {
            Draw(prompts.Kept, rng, out var keep);
            keptXt = SampleXt(s, originals, uncond, keep, plan, timesteps, latentShape, generator, XtSource.Frozen, cancel).to(model.Dtype);
            keptCond = keep.Expand(batch);
            using (no_grad())
            using (originals.AsTeacher())
                original = model.Denoise(keptXt, tt, keptCond).to(float32).detach();
        }
        var erasedCond = trainedCond.Expand(batch);
        Tensor loss;
        if (keptXt is null)
            loss = Mse(model.Denoise(xt, tt, erasedCond), target);
        else
        {
            // One forward for both halves: [erased; kept]
            var predictions = model.Denoise(cat([xt, keptXt]), cat([tt, tt]), Conditioning.Cat(erasedCond, keptCond!)).chunk(2);
            loss = Mse(predictions[0], target) + s.PreserveWeight * Mse(predictions[1], original!);
        }
        masters.ReleaseGradients();
        (masters.LossScale == 1 ? loss : loss * masters.LossScale).backward();
        if (masters.TakeGradients())
        {
            optimizer.step();
            masters.CopyToLive();
        }
        masters.ReleaseGradients();
        return (loss.item<float>(), plan);
    }

    /// <summary>
    /// A concept, then (when there is a choice, so single-template runs keep their draws) one of its prompts; returns
    /// the template's index.
    /// </summary>
    private static int Draw(List<List<Conditioning>> prompts, Random rng, out Conditioning prompt)
    {
        var concept = prompts[rng.Next(prompts.Count)];
        int template = concept.Count == 1 ? 0 : rng.Next(concept.Count);
        prompt = concept[template];
        return template;
    }

    private static Conditioning Context(Conditioning uncond, Conditioning cond, long batch) =>
        Conditioning.Cat(uncond.Expand(batch), cond.Expand(batch)); // [uncond x B; cond x B]

    private static Tensor Mse(Tensor prediction, Tensor target) => nn.functional.mse_loss(prediction.to(float32), target.to(float32));

    /// <summary>x_t per <paramref name="plan"/>: guided DDIM steps from fresh noise by the model <paramref name="from"/> names. float32 [B, 4, h, w]</summary>
    private Tensor SampleXt(EsdSettings s, FrozenOriginals originals, Conditioning uncond, Conditioning cond, XtPlan plan, long[] timesteps,
        long[] latentShape, Generator generator, XtSource from, CancellationToken cancel)
    {
        var noise = randn(latentShape, float32, CPU, generator: generator).to(model.Device);
        var context = Context(uncond, cond, latentShape[0]);
        model.Unet.eval();
        if (from != XtSource.Frozen)
            return PartialDdimSampler.Sample(model, timesteps, noise, context, s.StartGuidance, plan.First, plan.Count, cancel);
        using (originals.AsTeacher())
            return PartialDdimSampler.Sample(model, timesteps, noise, context, s.StartGuidance, plan.First, plan.Count, cancel);
    }

    /// <summary>Identifies a run (settings and base) so that --resume only continues the same run.</summary>
    private static string RunKey(EsdSettings s, string baseFingerprint)
    {
        var text = string.Join("|", s.ToMetadata().OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"))
            + "|concepts=" + string.Join(",", s.Concepts) + "|base=" + baseFingerprint;
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}

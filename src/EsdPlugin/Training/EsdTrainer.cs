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
/// x_t that the frozen model gives (and, under --xt-refresh, the trained model's) is drawn from trajectory pools
/// (<see cref="TrajectoryPool"/>) instead of sampled per iteration.
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
            int start = 0;
            int? resumedFrom = null;
            using var uncond = model.TextEncoder.Encode([""]);
            var templates = ConceptPrompts.Validate(s.PromptTemplates);
            // Per concept, its prompts' encodings: [concept][template] -> (1, tokens, hidden).
            List<List<Conditioning>> Encode(IEnumerable<string> concepts) => concepts.Select(c => ConceptPrompts.For(c, templates)
                .Select(prompt => model.TextEncoder.Encode([prompt])).ToList()).ToList();
            // A kept sentence is already a prompt; a kept word goes under the templates as a concept does.
            List<List<Conditioning>> EncodeKept(IEnumerable<string> kept) => kept.Select(k => ConceptPrompts.IsSentence(k)
                ? [model.TextEncoder.Encode([k])] : Encode([k])[0]).ToList();
            var prompts = new Prompts(uncond, Encode(s.Concepts), EncodeKept(s.Preserve),
                s.EraseFrom is { } from ? Encode([from])[0] : null)
            {
                // The same templates with the anchor in the concept's place (equal for every concept).
                Anchors = s.Anchor is { } anchor ? Encode([anchor])[0] : null,
            };
            var timesteps = model.Schedule.DdimTimesteps(s.DdimSteps);
            long[] latentShape = [s.BatchSize, .. model.LatentShape];
            float loss = float.NaN;
            (long, long) poolBytes = (0, 0);
            var poolFilling = TimeSpan.Zero;
            var clock = new Stopwatch();
            var optimizer = new LowPeakAdam(masters.Masters.Select(t => t.Parameter), s.LearningRate);
            try
            {
                prompts.Pools = Pools.For(s, model, prompts, timesteps);
                // A trained-model pool cannot be sampled again: the checkpoint carries it, restored with the rest.
                if (resume && checkpoint?.Load(runKey, s.Iterations, masters, optimizer, prompts.Pools.Trained) is { } reached)
                    start = (resumedFrom = reached).Value;
                bool smallCalls = s.OneThreadForSmallCalls && IntraOpThreads.SmallCalls(unet, latentShape, callsOf: 3);
                bool trimHeap = trained.Sum(t => t.Parameter.numel() * t.Parameter.element_size()) >= HeapTrim.FromBytes;
                // The run's work in U-Net sample evaluations, so the reported fraction moves while the pools fill (minutes
                // before the first iteration with large pools) and iterations count for what they cost. An iteration is
                // weighted as about six per x_t (the trained forward and backward, the teacher's calls): an estimate.
                double iterationCost = 6.0 * s.BatchSize;
                double totalWork = prompts.Pools.FillCostBetween(start, s.Iterations, s) + iterationCost * (s.Iterations - start), workDone = 0;
                double Fraction(double work) => (start + (s.Iterations - start) * Math.Min(1, work / totalWork)) / s.Iterations;
                clock.Start();
                for (int i = start; i < s.Iterations; i++)
                {
                    cancel.ThrowIfCancellationRequested();
                    int last = i;
                    workDone += prompts.Pools.Prepare(i, s, originals, prompts, cancel, (pool, work, filled) =>
                        progress?.Invoke(new EsdProgress(last, s.Iterations, loss, clock.Elapsed, null)
                        {
                            Phase = $"filling the {pool} pool, {filled * 100:F0}%", Fraction = Fraction(workDone + work),
                        }));
                    workDone += iterationCost;
                    float iterationLoss;
                    XtPlan plan;
                    using (smallCalls ? IntraOpThreads.Use(1) : null)
                        (iterationLoss, plan) = Iteration(s, i, originals, masters, optimizer, prompts, timesteps, latentShape, cancel);
                    loss = iterationLoss;
                    if (trimHeap) HeapTrim.AfterStep();
                    int done = i + 1;
                    // NaN is never success: a diverged run stops here, and no delta is written.
                    if (!float.IsFinite(loss))
                        throw new TrainingDivergedException($"training diverged at iteration {done} of {s.Iterations}: the loss is {loss}; " +
                            $"no delta was written (try a lower --learning-rate than {s.LearningRate:G3})");
                    if (checkpoint is not null && done % CheckpointEvery == 0 && done < s.Iterations)
                        checkpoint.Save(done, runKey, masters, optimizer, prompts.Pools.Trained);
                    var elapsed = clock.Elapsed;
                    // Iterations and pool fillings estimated apart: a filling costs many iterations' time, and counted as
                    // iteration time it would make the first ETAs hours long.
                    var pools = prompts.Pools;
                    var remaining = done > start
                        ? (elapsed - pools.Filling) * ((double)(s.Iterations - done) / (done - start))
                          + (pools.Fillings > 0 ? pools.Filling / pools.Fillings * pools.FillingsBetween(done, s.Iterations, s) : TimeSpan.Zero)
                        : (TimeSpan?)null;
                    progress?.Invoke(new EsdProgress(done, s.Iterations, loss, elapsed, remaining) { Plan = plan, Fraction = Fraction(workDone) });
                }
            }
            finally
            {
                poolBytes = (prompts.Pools.PeakHeld, prompts.Pools.Bytes);
                poolFilling = prompts.Pools.Filling;
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
            return new EsdResult(result, baseFingerprint, loss, s.Iterations - start) { SkippedSteps = masters.SkippedSteps, ResumedFrom = resumedFrom, PoolBytes = poolBytes, PoolFilling = poolFilling };
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

    /// <summary>
    /// The run's text encodings: the empty prompt [1, 77, D], and per concept its templates' encodings; and the
    /// trajectory pools drawn from them.
    /// </summary>
    private sealed record Prompts(Conditioning Uncond, List<List<Conditioning>> Erased, List<List<Conditioning>> Kept, List<Conditioning>? EraseFrom) : IDisposable
    {
        /// <summary>The prompts x_t of the erasure is sampled under, as its pool indexes them: concept-major, template-minor.</summary>
        public IReadOnlyList<Conditioning> ErasedXtPrompts => EraseFrom ?? Erased.SelectMany(x => x).ToList();

        public IReadOnlyList<Conditioning> KeptPrompts => Kept.SelectMany(x => x).ToList();

        /// <summary>
        /// Where (concept, template) lies in the flattened lists above. Concepts may have different counts of prompts (a kept
        /// sentence has one, a kept word one per template).
        /// </summary>
        public static int Flat(List<List<Conditioning>> byConcept, int concept, int template)
        {
            int offset = 0;
            for (int c = 0; c < concept; c++) offset += byConcept[c].Count;
            return offset + template;
        }

        public Pools Pools { get; set; } = Pools.None;

        /// <summary>Per template, the anchor's prompt (<see cref="EsdSettings.Anchor"/>); null for plain ESD.</summary>
        public List<Conditioning>? Anchors { get; init; }

        public void Dispose()
        {
            Pools.Dispose();
            foreach (var c in Erased.Concat(Kept).SelectMany(x => x).Concat(EraseFrom ?? []).Concat(Anchors ?? [])) c.Dispose();
        }
    }

    /// <summary>
    /// The run's trajectory pools: the erasure's x_t (frozen, or the trained model's under --xt-refresh) and the retain
    /// term's (always frozen); null where x_t is sampled per iteration.
    /// </summary>
    private sealed class Pools(TrajectoryPool? erased, bool erasedFrozen, TrajectoryPool? kept) : IDisposable
    {
        public static Pools None => new(null, true, null);

        public TrajectoryPool? Erased => erased;
        public TrajectoryPool? Kept => kept;

        /// <summary>The pool a checkpoint must carry: the trained model's, which cannot be sampled again.</summary>
        public TrajectoryPool? Trained => erasedFrozen ? null : erased;

        public static Pools For(EsdSettings s, ILoadedModel model, Prompts prompts, long[] timesteps)
        {
            if (s.PoolSize < 0 || s.RetainPoolSize < 0) throw new ArgumentException($"--pool-size and --retain-pool-size must be 0 or more, got {s.PoolSize} and {s.RetainPoolSize}");
            if (s.PoolRefresh < 0 || s.XtRefresh < 0) throw new ArgumentException("--pool-refresh and --xt-refresh must be 0 or more");
            if (s.XtRefresh > 0 && s.XtFrom == XtSource.Trained && s.PoolSize == 0)
                throw new ArgumentException("--xt-refresh needs a pool: --pool-size must be at least 1");
            if (s.PoolSize == 0 && s.RetainPoolSize == 0) return None;
            // Every k's plan starts at the same sampling index; the pool keeps states up to the most steps any plan runs.
            var plans = Enumerable.Range(0, timesteps.Length).Select(k => s.Pairing.Plan(k, timesteps, model.Schedule.TrainTimesteps, new Random(0))).ToList();
            int first = plans[0].First, states = plans.Max(p => p.Count) + 1;
            if (plans.Any(p => p.First != first)) throw new InvalidOperationException("the pairing's plans start at different steps; a pool cannot serve them");
            bool frozen = s.XtFrom == XtSource.Frozen;
            bool pooledErasure = s.PoolSize > 0 && (frozen || s.XtRefresh > 0);
            var erasedPrompts = prompts.ErasedXtPrompts.Count;
            var keptPrompts = s.RetainPoolSize > 0 ? prompts.KeptPrompts.Count : 0;
            // Under the matched pairing x_t's timestep is the one its trajectory's next step predicts at: a frozen pool
            // that keeps the sampler's predictions serves the frozen model's e0 and ep (x3 its memory, no teacher call).
            bool predictionsServe = s.Pairing == TimestepPairing.Matched && first + states <= timesteps.Length;
            long erasedBytes = pooledErasure ? TrajectoryPool.BytesFor(erasedPrompts, s.PoolSize, states, model.LatentShape)
                * (predictionsServe && frozen && s.EraseFrom is null ? 3 : 1) : 0;
            long keptBytes = keptPrompts > 0 ? TrajectoryPool.BytesFor(keptPrompts, s.RetainPoolSize, states, model.LatentShape) * (predictionsServe ? 3 : 1) : 0;
            if (erasedBytes + keptBytes > s.PoolMemoryMiB * 1048576L)
                throw new ArgumentException($"--pool-size {s.PoolSize}, --retain-pool-size {s.RetainPoolSize}: the trajectory pools would take " +
                    $"{(erasedBytes + keptBytes) / 1048576.0:F0} MiB (prompts x trajectories x {states} steps x the latent, float32: " +
                    $"{erasedBytes / 1048576.0:F1} MiB for x_t, {keptBytes / 1048576.0:F1} MiB for the retain term), over the limit of " +
                    $"{s.PoolMemoryMiB} MiB; lower the pool sizes");
            var erased = pooledErasure ? new TrajectoryPool("erased", model, timesteps, erasedPrompts, s.PoolSize, first, states, s.StartGuidance,
                keepPredictions: predictionsServe && frozen && s.EraseFrom is null) : null;
            var kept = keptPrompts > 0 ? new TrajectoryPool("kept", model, timesteps, keptPrompts, s.RetainPoolSize, first, states, s.StartGuidance,
                keepPredictions: predictionsServe) : null;
            if (erased is null && kept is null) return None;
            return new Pools(erased, frozen, kept);
        }

        /// <summary>Bytes the pools hold when filled (the stated bound), and the most their tensors held.</summary>
        public long Bytes => (erased?.Bytes ?? 0) + (kept?.Bytes ?? 0);

        public long PeakHeld { get; private set; }

        /// <summary>Time spent filling the pools, and how many fillings that was.</summary>
        public TimeSpan Filling { get; private set; }

        public int Fillings { get; private set; }

        private static int GenerationAt(int iteration, int refresh) => refresh > 0 ? iteration / refresh : 0;

        /// <summary>Fillings still to come for iterations [<paramref name="from"/>, <paramref name="to"/>).</summary>
        public int FillingsBetween(int from, int to, EsdSettings s)
        {
            if (to <= from) return 0;
            int Count(int refresh) => GenerationAt(to - 1, refresh) - GenerationAt(from - 1, refresh);
            return (erased is null ? 0 : Count(erasedFrozen ? s.PoolRefresh : s.XtRefresh)) + (kept is null ? 0 : Count(s.PoolRefresh));
        }

        /// <summary>The fillings' work (<see cref="TrajectoryPool.FillCost"/>) that iterations [<paramref name="from"/>, <paramref name="to"/>) need from now.</summary>
        public double FillCostBetween(int from, int to, EsdSettings s)
        {
            if (to <= from) return 0;
            double Cost(TrajectoryPool? pool, int refresh)
            {
                if (pool is null) return 0;
                int first = GenerationAt(from, refresh), last = GenerationAt(to - 1, refresh);
                return pool.FillCost * (last - first + (pool.Generation == first ? 0 : 1));
            }
            return Cost(erased, erasedFrozen ? s.PoolRefresh : s.XtRefresh) + Cost(kept, s.PoolRefresh);
        }

        /// <summary>
        /// Fills each pool whose generation iteration <paramref name="iteration"/> is past; <paramref name="onFill"/> gets
        /// the pool's name, the work done so far in this call and the fraction of that pool filled. Returns the work done
        /// (the fillings' cost).
        /// </summary>
        public double Prepare(int iteration, EsdSettings s, FrozenOriginals originals, Prompts prompts, CancellationToken cancel,
            Action<string, double, double>? onFill = null)
        {
            long started = Stopwatch.GetTimestamp();
            double work = 0;
            if (erased is not null)
            {
                int g = GenerationAt(iteration, erasedFrozen ? s.PoolRefresh : s.XtRefresh);
                if (erased.Generation != g)
                {
                    using (erasedFrozen ? originals.AsTeacher() : null)
                        erased.Fill(g, s.Seed, prompts.Uncond, prompts.ErasedXtPrompts, cancel, f => onFill?.Invoke("erasure's", erased.FillCost * f, f));
                    work += erased.FillCost;
                    Fillings++;
                }
            }
            if (kept is not null)
            {
                int g = GenerationAt(iteration, s.PoolRefresh);
                if (kept.Generation != g)
                {
                    double before = work;
                    using (originals.AsTeacher())
                        kept.Fill(g, s.Seed ^ 0x4B45_5054L, prompts.Uncond, prompts.KeptPrompts, cancel,
                            f => onFill?.Invoke("retain term's", before + kept.FillCost * f, f));
                    work += kept.FillCost;
                    Fillings++;
                }
            }
            PeakHeld = Math.Max(PeakHeld, (erased?.HeldBytes ?? 0) + (kept?.HeldBytes ?? 0));
            Filling += Stopwatch.GetElapsedTime(started);
            return work;
        }

        public void Dispose()
        {
            erased?.Dispose();
            kept?.Dispose();
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
        var (concept, template) = Draw(prompts.Erased, rng, out var cond);
        int k = rng.Next(s.DdimSteps);
        var plan = s.Pairing.Plan(k, timesteps, model.Schedule.TrainTimesteps, rng);
        long batch = latentShape[0];
        var tt = full([batch], plan.Timestep, int64, model.Device);
        var uncond = prompts.Uncond;
        // --erase-from: x_t and the trained prediction under the "from" prompt (same template).
        var trainedCond = prompts.EraseFrom is { } from ? from[template] : cond;
        var pools = prompts.Pools;

        // The frozen model's predictions e0, ep (and ep_from, the kept concept's): served by a pool that kept them where
        // x_t's trajectory predicted at t already, the rest in one U-Net call (a small U-Net is bound by its calls).
        Tensor? e0 = null, ep = null, original = null;
        Tensor xt;
        int erasedPrompt = prompts.EraseFrom is null ? Prompts.Flat(prompts.Erased, concept, template) : template;
        if (pools.Erased is { } erasedPool)
        {
            var picks = Trajectories(rng, erasedPool, batch);
            xt = erasedPool.Draw(erasedPrompt, picks, plan.Count);
            if (erasedPool.KeepsPredictions && erasedPool.PredictionTimestep(plan.Count) == plan.Timestep)
                (e0, ep) = erasedPool.Predictions(erasedPrompt, picks, plan.Count);
        }
        else xt = SampleXt(s, originals, uncond, trainedCond, plan, timesteps, latentShape, generator, s.XtFrom, cancel);
        xt = xt.to(model.Dtype);
        // Drawn after the erasure's draws, so that a run without kept concepts draws what it always did.
        Tensor? keptXt = null;
        Conditioning? keptCond = null;
        if (prompts.Kept.Count > 0)
        {
            var (keptConcept, keptTemplate) = Draw(prompts.Kept, rng, out var keep);
            int keptPrompt = Prompts.Flat(prompts.Kept, keptConcept, keptTemplate);
            if (pools.Kept is { } keptPool)
            {
                var picks = Trajectories(rng, keptPool, batch);
                keptXt = keptPool.Draw(keptPrompt, picks, plan.Count);
                if (keptPool.KeepsPredictions && keptPool.PredictionTimestep(plan.Count) == plan.Timestep)
                    original = keptPool.Predictions(keptPrompt, picks, plan.Count).Cond;
            }
            else keptXt = SampleXt(s, originals, uncond, keep, plan, timesteps, latentShape, generator, XtSource.Frozen, cancel);
            keptXt = keptXt.to(model.Dtype);
            keptCond = keep.Expand(batch);
        }

        // [uncond; concept | (erase-from) | (kept)] x B, whichever no pool served. All of it comes before the trained
        // model's pass: the teacher swap writes into the parameters.
        Tensor? eFrom = null;
        var inputs = new List<Tensor>();
        var contexts = new List<Conditioning>();
        if (e0 is null) { inputs.AddRange([xt, xt]); contexts.AddRange([uncond.Expand(batch), cond.Expand(batch)]); }
        if (prompts.EraseFrom is not null) { inputs.Add(xt); contexts.Add(trainedCond.Expand(batch)); }
        if (prompts.Anchors is { } anchors) { inputs.Add(xt); contexts.Add(anchors[template].Expand(batch)); }
        if (keptXt is not null && original is null) { inputs.Add(keptXt); contexts.Add(keptCond!); }
        Tensor? eAnchor = null;
        if (inputs.Count > 0)
            using (no_grad())
            using (originals.AsTeacher())
            {
                var outputs = model.Denoise(cat(inputs), full([batch * inputs.Count], plan.Timestep, int64, model.Device),
                    Conditioning.Cat([.. contexts])).to(float32).chunk(inputs.Count);
                int next = 0;
                if (e0 is null) (e0, ep, next) = (outputs[0], outputs[1], 2);
                if (prompts.EraseFrom is not null) eFrom = outputs[next++];
                if (prompts.Anchors is not null) eAnchor = outputs[next++];
                if (keptXt is not null && original is null) original = outputs[next];
            }
        Tensor target;
        // With an anchor, the concept's direction is taken against the anchored prompt, and the target starts from it.
        var reference = eAnchor ?? e0!;
        using (no_grad())
            target = (eFrom is null ? reference - s.Eta * (ep! - reference) : eFrom - (s.Eta + 1) * (ep! - reference)).detach();
        original = original?.detach();
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
    /// the concept's and the template's indices.
    /// </summary>
    private static (int Concept, int Template) Draw(List<List<Conditioning>> prompts, Random rng, out Conditioning prompt)
    {
        int concept = rng.Next(prompts.Count);
        int template = prompts[concept].Count == 1 ? 0 : rng.Next(prompts[concept].Count);
        prompt = prompts[concept][template];
        return (concept, template);
    }

    /// <summary>Which of the pool's trajectories an iteration's B samples are: drawn with replacement.</summary>
    private static int[] Trajectories(Random rng, TrajectoryPool pool, long batch)
    {
        var picks = new int[batch];
        for (int b = 0; b < batch; b++) picks[b] = rng.Next(pool.Size);
        return picks;
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

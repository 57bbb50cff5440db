using Host.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>
/// Guided DDIM trajectories kept per prompt and per step, so that an iteration draws a stored x_t (prompt, trajectory,
/// steps run) instead of sampling one. The frozen model's trajectories never change, so sampling them once in large
/// batches does the work of many iterations' sampling at a fraction of the cost (a small U-Net is overhead-bound at
/// batch 2 and compute-bound at batch 128). A generation is one filling: seeded by (run seed, generation), so a resumed
/// run that fills generation g again gets what the uninterrupted run had; a pool of the trained model (an
/// approximation: x_t from weights up to M iterations old) cannot be sampled again and is saved with checkpoints.
/// </summary>
internal sealed class TrajectoryPool : IDisposable
{
    private readonly ILoadedModel _model;
    private readonly long[] _timesteps;
    private readonly int _first;
    private readonly int _states;
    private readonly double _guidance;
    private readonly long[] _latent;
    private readonly int _fillBatch;
    // Per prompt: float32 [size, states, C, h, w]; state c is x after c DDIM steps from sampling index _first.
    private List<Tensor> _trajectories = [];
    // With predictions kept, per prompt: float32 [size, states, 2, C, h, w], the model's unconditional and conditional
    // predictions at state c and the timestep its next step starts from (what the sampler computed anyway).
    private List<Tensor> _predictions = [];

    /// <param name="name">Names the pool in checkpoints ("erased", "kept").</param>
    /// <param name="prompts">How many prompts (conditionings) the pool holds trajectories for.</param>
    /// <param name="size">Trajectories per prompt.</param>
    /// <param name="first">The sampling index trajectories start at (the pairing's plan.First, the same for every k).</param>
    /// <param name="states">States kept per trajectory: 0 .. states - 1 steps run (the most a plan asks, plus one).</param>
    /// <param name="keepPredictions">
    /// Also keep the guided sampler's two predictions at every state (x3 the memory): a frozen pool then serves the
    /// frozen model's e0 and ep at x_t's own timestep (the matched pairing) without another U-Net call.
    /// </param>
    public TrajectoryPool(string name, ILoadedModel model, long[] timesteps, int prompts, int size, int first, int states, double guidance,
        bool keepPredictions = false)
    {
        if (keepPredictions && first + states > timesteps.Length)
            throw new ArgumentException("predictions are kept only when every state has a timestep to predict at (the matched pairing)");
        KeepsPredictions = keepPredictions;
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "the pool needs at least one trajectory per prompt");
        Name = name;
        _model = model;
        _timesteps = timesteps;
        Prompts = prompts;
        Size = size;
        _first = first;
        _states = states;
        _guidance = guidance;
        _latent = model.LatentShape;
        // Batch 2n per U-Net call (guidance doubles it): large enough to leave the per-call overhead behind on a small
        // latent, one trajectory at a time where a single sample already fills the cores.
        long pixels = _latent.Skip(1).Aggregate(1L, (a, b) => a * b);
        _fillBatch = (int)Math.Clamp(4096 / Math.Max(1, pixels), 1, 64);
    }

    public string Name { get; }

    /// <summary>Whether <see cref="Predictions"/> serves the sampler's predictions at each state.</summary>
    public bool KeepsPredictions { get; }

    /// <summary>The timestep the predictions kept at state <paramref name="steps"/> were made at.</summary>
    public long PredictionTimestep(int steps) => _timesteps[_first + steps];
    public int Prompts { get; }
    public int Size { get; }

    /// <summary>The generation held (-1: none yet).</summary>
    public int Generation { get; private set; } = -1;

    /// <summary>Bytes the pool holds once filled: prompts x size x states x the latent, float32.</summary>
    public long Bytes => BytesFor(Prompts, Size, _states, _latent) * (KeepsPredictions ? 3 : 1);

    /// <summary>Bytes the pool's tensors hold now (at most <see cref="Bytes"/>).</summary>
    public long HeldBytes => _trajectories.Concat(_predictions).Sum(t => t.numel() * t.element_size());

    /// <summary>One filling's work in U-Net sample evaluations (each call runs [uncond; cond]).</summary>
    public long FillCost => (long)Prompts * Size * (KeepsPredictions ? _states : _states - 1) * 2;

    public static long BytesFor(int prompts, int size, int states, long[] latent) =>
        checked(prompts * (long)size * states * latent.Aggregate(1L, (a, b) => a * b) * sizeof(float));

    /// <summary>
    /// Samples generation <paramref name="generation"/> for every prompt, with the U-Net as it is now (the caller swaps
    /// in the frozen originals for a frozen pool). <paramref name="conditionings"/>[p] is prompt p's [1, 77, D].
    /// <paramref name="onProgress"/> gets the fraction of the filling done after every sampler step.
    /// </summary>
    public void Fill(int generation, long seed, Conditioning uncond, IReadOnlyList<Conditioning> conditionings, CancellationToken cancel,
        Action<double>? onProgress = null)
    {
        if (conditionings.Count != Prompts) throw new ArgumentException($"the {Name} pool holds {Prompts} prompts, not {conditionings.Count}");
        var filled = new List<Tensor>(Prompts);
        var predicted = new List<Tensor>(KeepsPredictions ? Prompts : 0);
        try
        {
            using var noGrad = no_grad();
            // Every (prompt, trajectory) in a fixed order, so the noise and the batches depend only on the seed.
            var jobs = Enumerable.Range(0, Prompts).SelectMany(p => Enumerable.Range(0, Size).Select(j => (Prompt: p, Trajectory: j))).ToList();
            var noise = new List<Tensor>(Prompts);
            for (int p = 0; p < Prompts; p++)
            {
                using var g = new Generator(unchecked((ulong)(seed * 1_000_003L + generation * 7919L + p) ^ 0x5EED_9001UL));
                noise.Add(randn([Size, .. _latent], float32, CPU, generator: g));
                filled.Add(zeros([Size, _states, .. _latent], float32, CPU));
                if (KeepsPredictions) predicted.Add(zeros([Size, _states, 2, .. _latent], float32, CPU));
            }
            _model.Unet.eval();
            // Held and disposed here, not left to the finalizer thread while LibTorch reads it.
            using Scalar guidance = _guidance;
            for (int start = 0; start < jobs.Count; start += _fillBatch)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var chunk = jobs.Skip(start).Take(_fillBatch).ToList();
                long n = chunk.Count;
                var x = stack(chunk.Select(c => noise[c.Prompt][c.Trajectory]).ToArray()).to(_model.Device); // [n, C, h, w]
                var dtype = conditionings[0].HiddenStates.dtype;
                var context = Conditioning.Cat(uncond.Expand(n), Conditioning.Cat(chunk.Select(c => conditionings[c.Prompt]).ToArray()));
                Keep(chunk, filled, 0, x);
                // With predictions kept, the last state gets its predictions too (one more call, no step).
                int calls = KeepsPredictions ? _states : _states - 1;
                for (int step = 1; step <= calls; step++)
                {
                    cancel.ThrowIfCancellationRequested();
                    onProgress?.Invoke((start * (double)calls + n * (step - 1)) / ((double)jobs.Count * calls));
                    using var stepScope = NewDisposeScope();
                    long t = _timesteps[_first + step - 1];
                    var input = x.to(dtype);
                    var eps = _model.Denoise(cat([input, input]), full([2 * n], t, int64, x.device), context).to(float32).chunk(2);
                    if (KeepsPredictions) KeepPredictions(chunk, predicted, step - 1, eps[0], eps[1]);
                    if (step == _states) break;
                    var e = (eps[1] - eps[0]).mul_(guidance).add_(eps[0]);
                    var next = _model.Schedule.DdimStep(e, t, x, _timesteps.Length).to(float32);
                    Keep(chunk, filled, step, next);
                    x = next.MoveToOuterDisposeScope();
                }
            }
            foreach (var n in noise) n.Dispose();
        }
        catch
        {
            foreach (var t in filled.Concat(predicted)) t.Dispose();
            throw;
        }
        Replace(filled, predicted, generation);
    }

    private static void KeepPredictions(List<(int Prompt, int Trajectory)> chunk, List<Tensor> predicted, int state, Tensor uncond, Tensor cond)
    {
        using var u = uncond.to(CPU);
        using var c = cond.to(CPU);
        for (int i = 0; i < chunk.Count; i++)
        {
            using var slot = predicted[chunk[i].Prompt][chunk[i].Trajectory, state];
            slot[0].copy_(u[i]);
            slot[1].copy_(c[i]);
        }
    }

    /// <summary>
    /// The predictions kept at <paramref name="steps"/> steps of the given trajectories: (unconditional, conditional),
    /// each float32 [B, C, h, w] on the model's device, made at <see cref="PredictionTimestep"/>.
    /// </summary>
    public (Tensor Uncond, Tensor Cond) Predictions(int prompt, IReadOnlyList<int> trajectories, int steps)
    {
        if (!KeepsPredictions) throw new InvalidOperationException($"the {Name} pool keeps no predictions");
        if (Generation < 0) throw new InvalidOperationException($"the {Name} pool is empty");
        using var index = tensor(trajectories.Select(j => (long)j).ToArray(), int64);
        using var rows = _predictions[prompt].index_select(0, index);
        using var state = rows.select(1, steps); // [B, 2, C, h, w]
        return (state.select(1, 0).to(_model.Device, copy: true), state.select(1, 1).to(_model.Device, copy: true));
    }

    private static void Keep(List<(int Prompt, int Trajectory)> chunk, List<Tensor> filled, int state, Tensor x)
    {
        using var cpu = x.to(CPU);
        for (int i = 0; i < chunk.Count; i++)
            filled[chunk[i].Prompt][chunk[i].Trajectory, state].copy_(cpu[i]);
    }

    /// <summary>x after <paramref name="steps"/> steps of the given trajectories of prompt <paramref name="prompt"/>: float32 [B, C, h, w] on the model's device.</summary>
    public Tensor Draw(int prompt, IReadOnlyList<int> trajectories, int steps)
    {
        if (Generation < 0) throw new InvalidOperationException($"the {Name} pool is empty");
        if (steps < 0 || steps >= _states) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"the {Name} pool keeps 0..{_states - 1} steps");
        using var index = tensor(trajectories.Select(j => (long)j).ToArray(), int64);
        using var rows = _trajectories[prompt].index_select(0, index);
        return rows.select(1, steps).to(_model.Device, copy: true);
    }

    /// <summary>The pool's tensors by name, for a checkpoint.</summary>
    public Dictionary<string, Tensor> Tensors() =>
        _trajectories.Select((t, p) => (t, p)).ToDictionary(e => $"pool.{Name}.{e.p}", e => e.t);

    /// <summary>Takes a checkpoint's copy of generation <paramref name="generation"/>; throws naming the tensor that does not fit.</summary>
    public void Restore(int generation, IReadOnlyDictionary<string, Tensor> tensors, string file)
    {
        if (KeepsPredictions) throw new InvalidOperationException($"the {Name} pool keeps predictions: a frozen pool is sampled again, not restored");
        var restored = new List<Tensor>(Prompts);
        for (int p = 0; p < Prompts; p++)
        {
            string key = $"pool.{Name}.{p}";
            long[] expected = [Size, _states, .. _latent];
            if (!tensors.TryGetValue(key, out var t) || !t.shape.SequenceEqual(expected))
            {
                foreach (var r in restored) r.Dispose();
                throw new InvalidDataException($"{file}: cannot resume: tensor '{key}' is missing or not [{string.Join(", ", expected)}]");
            }
            restored.Add(t.to(float32, CPU, copy: true));
        }
        Replace(restored, [], generation);
    }

    private void Replace(List<Tensor> trajectories, List<Tensor> predictions, int generation)
    {
        foreach (var t in _trajectories.Concat(_predictions)) t.Dispose();
        _trajectories = trajectories;
        _predictions = predictions;
        Generation = generation;
    }

    public void Dispose()
    {
        foreach (var t in _trajectories.Concat(_predictions)) t.Dispose();
        _trajectories = [];
        _predictions = [];
    }
}

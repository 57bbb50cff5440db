using EsdPlugin.Training;
using Host.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EsdPlugin.RedTeam;

/// <summary>
/// One restart's outcome: the learned tokens [K, D] (float32, CPU; the caller disposes), the loss of each step's batch,
/// and the mean loss over every stored state of the tokens at the start and the end, and of the concept's own prompt.
/// </summary>
internal sealed record EmbeddingAttackRun(Tensor Learned, IReadOnlyList<double> Losses, double InitialLoss, double FinalLoss, double ConceptPromptLoss);

/// <summary>
/// An attack on an erasure that needs no classifier (P4D, UnlearnDiffAtk): learned prompt-token embeddings are
/// optimised so that the edited model's noise prediction under them matches the original model's under the concept
/// prompt, on states of the original model's own trajectories for that prompt. If the edit only moved the concept's
/// words, tokens that bring the concept back exist and the optimisation finds them. What is matched is the guided
/// prediction sampling uses: eps_u' + w (eps_adv' - eps_u') against eps_u + w (eps_c - eps_u) (primes: the edited
/// model), that is eps_adv' against eps_u' + (eps_u - eps_u') / w + (eps_c - eps_u); a small error there is not
/// multiplied by the guidance scale when the images are drawn.
/// </summary>
internal static class EmbeddingAttack
{
    /// <param name="originals">The edited parameters' original values (swapped in for the target's predictions).</param>
    /// <param name="onStep">(restart, step, steps, loss) after each step.</param>
    public static List<EmbeddingAttackRun> Run(ILoadedModel model, FrozenOriginals originals, string concept, EmbeddingAttackSettings s,
        Action<int, int, int, double>? onStep, CancellationToken cancel)
    {
        var timesteps = model.Schedule.DdimTimesteps(s.DdimSteps);
        string target = ConceptPrompts.For(concept, [s.TargetPrompt])[0], attack = ConceptPrompts.For(concept, [s.AttackPrompt])[0];
        using var uncond = model.TextEncoder.Encode([""]);
        using var targetCond = model.TextEncoder.Encode([target]);
        var (states, predictions) = OriginalTrajectories(model, originals, timesteps, uncond, targetCond, s, cancel); // [N, T, C, h, w] each
        using var _ = states;
        using var __ = predictions;
        var rng = new Random(unchecked((int)s.Seed) ^ 0x7A7A);
        var runs = new List<EmbeddingAttackRun>();
        // The concept prompt itself, as the edited model sees it: the loss the attack must beat to have found anything.
        double conceptLoss = MeanLoss(model, states, predictions, timesteps, () => model.TextEncoder.Encode([target]));
        try
        {
            for (int r = 0; r < s.Restarts; r++)
            {
                using var g = new Generator(unchecked((ulong)(s.Seed * 7919 + r) ^ 0xA77AC4UL));
                using var start = StartingTokens(model, concept, s.Tokens, g);
                var learned = new Parameter(start.to(float32).clone(), requires_grad: true);
                using var optimizer = optim.Adam([learned], s.LearningRate);
                var losses = new List<double>(s.Steps);
                try
                {
                    double initial = MeanLoss(model, states, predictions, timesteps, () => model.TextEncoder.EncodeWithLearnedTokens(attack, learned));
                    for (int step = 0; step < s.Steps; step++)
                    {
                        cancel.ThrowIfCancellationRequested();
                        using var scope = NewDisposeScope();
                        var picks = Enumerable.Range(0, s.BatchSize).Select(_ => (N: rng.Next((int)states.shape[0]), I: rng.Next(timesteps.Length))).ToList();
                        optimizer.zero_grad();
                        using var cond = model.TextEncoder.EncodeWithLearnedTokens(attack, learned);
                        using var batch = cond.Expand(picks.Count);
                        var x = stack(picks.Select(p => states[p.N, p.I]).ToList()).to(model.Dtype);                 // [B, C, h, w]
                        var t = tensor(picks.Select(p => timesteps[p.I]).ToArray(), int64, x.device);                  // [B]
                        var eps = model.Denoise(x, t, batch).to(float32);
                        var loss = nn.functional.mse_loss(eps, stack(picks.Select(p => predictions[p.N, p.I]).ToList()));
                        loss.backward();
                        optimizer.step();
                        double value = loss.item<float>();
                        losses.Add(value);
                        onStep?.Invoke(r, step + 1, s.Steps, value);
                    }
                    double final = MeanLoss(model, states, predictions, timesteps, () => model.TextEncoder.EncodeWithLearnedTokens(attack, learned));
                    using var found = learned.detach();
                    runs.Add(new EmbeddingAttackRun(found.cpu().clone(), losses, initial, final, conceptLoss));
                }
                finally
                {
                    learned.Dispose();
                }
            }
        }
        catch
        {
            foreach (var run in runs) run.Learned.Dispose();
            throw;
        }
        return runs;
    }

    /// <summary>
    /// The concept's own token embeddings, repeated to <paramref name="count"/>, each moved by a little noise (a start the
    /// model has seen: random vocabulary entries are untrained noise in a model trained on a small vocabulary).
    /// </summary>
    private static Tensor StartingTokens(ILoadedModel model, string concept, int count, Generator g)
    {
        using var scope = NewDisposeScope();
        var words = model.TextEncoder.TokenIds(concept);
        var ids = tensor(Enumerable.Range(0, count).Select(i => words[i % words.Count]).ToArray(), int64);
        var embedded = model.TextEncoder.EmbedTokens(ids).to(float32).cpu();              // [K, D]
        var scale = embedded.norm(1, keepdim: true) * 0.1 / Math.Sqrt(embedded.shape[1]);
        return (embedded + randn(embedded.shape, float32, CPU, generator: g) * scale).to(model.Device).MoveToOuterDisposeScope();
    }

    /// <summary>The mean loss of a conditioning over every stored state (no gradient).</summary>
    private static double MeanLoss(ILoadedModel model, Tensor states, Tensor predictions, long[] timesteps, Func<Conditioning> encode)
    {
        using var noGrad = no_grad();
        using var cond = encode();
        long n = states.shape[0];
        using var batch = cond.Expand(n);
        double sum = 0;
        // One call per timestep over every trajectory's state there: each the same mean as a call per state.
        for (int i = 0; i < timesteps.Length; i++)
        {
            using var scope = NewDisposeScope();
            var x = states[.., i].to(model.Dtype);                                   // [N, C, h, w]
            var eps = model.Denoise(x, full([n], timesteps[i], int64, x.device), batch).to(float32);
            sum += nn.functional.mse_loss(eps, predictions[.., i]).item<float>();
        }
        return sum / timesteps.Length;
    }

    /// <summary>
    /// The original model's guided DDIM trajectories for the target prompt: every state x_i (before step i) and the
    /// prediction the attack must give there (see the class), both [N, T, C, h, w] float32 on the model's device.
    /// </summary>
    private static (Tensor States, Tensor Predictions) OriginalTrajectories(ILoadedModel model, FrozenOriginals originals, long[] timesteps,
        Conditioning uncond, Conditioning cond, EmbeddingAttackSettings s, CancellationToken cancel)
    {
        using var noGrad = no_grad();
        int n = s.Trajectories, count = timesteps.Length;
        using var g = new Generator(unchecked((ulong)s.Seed ^ 0x7E4C_E27UL));
        var x = randn([n, .. model.LatentShape], float32, CPU, generator: g).to(model.Device);
        using var context = Conditioning.Cat(uncond.Expand(n), cond.Expand(n));
        var states = new List<Tensor>(count);
        var guidance = new List<Tensor>(count);   // the original's eps_c - eps_u per state
        var uncondOriginal = new List<Tensor>(count);
        var targets = new List<Tensor>(count);
        try
        {
            using (originals.AsTeacher())
                for (int i = 0; i < count; i++)
                {
                    cancel.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var input = x.to(model.Dtype);
                    var eps = model.Denoise(cat([input, input]), full([2 * n], timesteps[i], int64, x.device), context).to(float32).chunk(2);
                    states.Add(x.MoveToOuterDisposeScope());
                    guidance.Add((eps[1] - eps[0]).MoveToOuterDisposeScope());
                    uncondOriginal.Add(eps[0].MoveToOuterDisposeScope());
                    x = model.Schedule.DdimStep(eps[0] + s.Guidance * (eps[1] - eps[0]), timesteps[i], x, count).to(float32).MoveToOuterDisposeScope();
                }
            x.Dispose();
            // The edited model's unconditional prediction at each state completes the target.
            using var uncondBatch = uncond.Expand(n);
            for (int i = 0; i < count; i++)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var edited = model.Denoise(states[i].to(model.Dtype), full([n], timesteps[i], int64, states[i].device), uncondBatch).to(float32);
                targets.Add((edited + (uncondOriginal[i] - edited) / s.Guidance + guidance[i]).MoveToOuterDisposeScope());
            }
            return (stack(states, 1), stack(targets, 1));
        }
        finally
        {
            foreach (var t in states.Concat(guidance).Concat(uncondOriginal).Concat(targets)) t.Dispose();
        }
    }
}

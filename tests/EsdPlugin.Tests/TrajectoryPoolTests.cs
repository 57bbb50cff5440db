using TestUtilities;
using EsdPlugin.Commands;
using EsdPlugin.Deltas;
using EsdPlugin.Training;
using Host.Abstractions;
using static TorchSharp.torch;

namespace EsdPlugin.Tests;

[Collection(HeavyTests.Name)]
public class TrajectoryPoolTests
{
    private static EsdSettings Frozen(int iterations = 6) => new()
    {
        Concepts = ["cat"], Method = EsdMethod.EsdX, Iterations = iterations, DdimSteps = 4, LearningRate = 1e-3, Seed = 3,
        XtFrom = XtSource.Frozen, Pairing = TimestepPairing.Matched, PoolSize = 3, PromptTemplates = ["{}", "a {}"],
    };

    private static void AssertSame(EsdResult a, EsdResult b)
    {
        foreach (var (name, t) in a.Trained)
            Assert.True(t.allclose(b.Trained[name], rtol: 1e-5, atol: 1e-7), name);
    }

    /// <summary>A leased model with its DDIM timesteps and the empty prompt's encoding, for pools made by hand.</summary>
    private sealed class Fixture : IDisposable
    {
        private Harness _harness = null!;
        private IModelLease _lease = null!;

        public ILoadedModel Model => _lease.Model;
        public long[] Timesteps { get; private init; } = [];
        public Conditioning Uncond { get; private init; } = null!;
        public long LatentElements => Model.LatentShape.Aggregate(1L, (a, b) => a * b);

        public static async Task<Fixture> Open(int ddimSteps)
        {
            var harness = new Harness();
            var lease = await harness.Cache.AcquireAsync(LeaseMode.Exclusive);
            return new Fixture
            {
                _harness = harness, _lease = lease,
                Timesteps = lease.Model.Schedule.DdimTimesteps(ddimSteps), Uncond = lease.Model.TextEncoder.Encode([""]),
            };
        }

        public void Dispose()
        {
            Uncond.Dispose();
            _lease.Dispose();
            _harness.Dispose();
        }
    }

    [Fact]
    public async Task APoolStateIsTheGuidedDdimTrajectoryFromItsNoiseAndRefillsAreReproducible()
    {
        using var f = await Fixture.Open(ddimSteps: 5);
        var (model, timesteps, uncond) = (f.Model, f.Timesteps, f.Uncond);
        using var cat = model.TextEncoder.Encode(["a cat"]);
        using var dog = model.TextEncoder.Encode(["a dog"]);
        using var pool = new TrajectoryPool("test", model, timesteps, prompts: 2, size: 3, first: 0, states: 5, guidance: 3.0);
        Assert.Equal(2L * 3 * 5 * f.LatentElements * 4, pool.Bytes);
        Assert.Equal(0, pool.HeldBytes);
        pool.Fill(0, seed: 7, uncond, [cat, dog], CancellationToken.None);
        Assert.Equal(pool.Bytes, pool.HeldBytes);

        // Each stored state is what the sampler makes from that trajectory's noise, one trajectory at a time.
        using var noise = pool.Draw(1, [2], 0);
        using var context = Conditioning.Cat(uncond, dog);
        for (int steps = 1; steps < 5; steps++)
        {
            using var stored = pool.Draw(1, [2], steps);
            using var sampled = PartialDdimSampler.Sample(model, timesteps, noise, context, 3.0, 0, steps, CancellationToken.None);
            Assert.True(stored.allclose(sampled, rtol: 1e-4, atol: 1e-5), $"state after {steps} steps differs from the sampler's by {(stored - sampled).abs().max().item<float>()}");
        }

        // Trajectories differ from one another; the same (seed, generation) fills the same pool; another generation does not.
        using var a = pool.Draw(0, [0, 1, 2], 3);
        Assert.False(a[0].allclose(a[1]));
        pool.Fill(0, seed: 7, uncond, [cat, dog], CancellationToken.None);
        using var again = pool.Draw(0, [0, 1, 2], 3);
        Assert.True(a.equal(again).all().item<bool>());
        pool.Fill(1, seed: 7, uncond, [cat, dog], CancellationToken.None);
        using var next = pool.Draw(0, [0, 1, 2], 3);
        Assert.False(a.allclose(next));
        Assert.Equal(pool.Bytes, pool.HeldBytes); // a refill replaces, it does not add
    }

    [Fact]
    public async Task KeptPredictionsAreTheFrozenModelsAtTheStatesTimestep()
    {
        using var f = await Fixture.Open(ddimSteps: 4);
        var (model, timesteps, uncond) = (f.Model, f.Timesteps, f.Uncond);
        using var cat = model.TextEncoder.Encode(["a cat"]);
        using var pool = new TrajectoryPool("test", model, timesteps, prompts: 1, size: 2, first: 0, states: 4, guidance: 3.0, keepPredictions: true);
        pool.Fill(0, seed: 1, uncond, [cat], CancellationToken.None);
        Assert.Equal(3 * 2L * 4 * f.LatentElements * 4, pool.HeldBytes);
        for (int steps = 0; steps < 4; steps++)
        {
            Assert.Equal(timesteps[steps], pool.PredictionTimestep(steps));
            using var x = pool.Draw(0, [1, 0], steps);
            var (e0, ep) = pool.Predictions(0, [1, 0], steps);
            using var noGrad = no_grad();
            using var t = full([2L], timesteps[steps], int64);
            using var direct0 = model.Denoise(x, t, uncond.Expand(2)).to(float32);
            using var directP = model.Denoise(x, t, cat.Expand(2)).to(float32);
            Assert.True(e0.allclose(direct0, rtol: 1e-4, atol: 1e-5), $"e0 at {steps} steps");
            Assert.True(ep.allclose(directP, rtol: 1e-4, atol: 1e-5), $"ep at {steps} steps");
            e0.Dispose();
            ep.Dispose();
        }
        // The paper pairing's t is not x_t's own timestep: a pool there keeps no predictions.
        Assert.Throws<ArgumentException>(() => new TrajectoryPool("paper", model, timesteps, 1, 2, first: 1, states: 4, guidance: 3.0, keepPredictions: true));
    }

    [Fact]
    public async Task RunsFromAFrozenPoolAreReproducibleAndDifferFromFreshSampling()
    {
        using var h = new Harness();
        using var lease = await h.Cache.AcquireAsync(LeaseMode.Exclusive);
        var trainer = new EsdTrainer(lease.Model, h.Context.TensorFiles);
        using var one = trainer.Train(Frozen(), false, null, CancellationToken.None);
        using var two = trainer.Train(Frozen(), false, null, CancellationToken.None);
        AssertSame(one, two);
        using var fresh = trainer.Train(Frozen() with { PoolSize = 0 }, false, null, CancellationToken.None);
        Assert.Contains(one.Trained, kv => !kv.Value.allclose(fresh.Trained[kv.Key], rtol: 1e-5, atol: 1e-7));
        // The pool held what it stated: 2 prompts x 3 trajectories x 4 states x the latent, float32, three times (x_t and
        // the two predictions a frozen pool keeps under the matched pairing).
        long latent = lease.Model.LatentShape.Aggregate(1L, (a, b) => a * b);
        Assert.Equal(3 * 2L * 3 * 4 * latent * 4, one.PoolBytes.Bound);
        Assert.InRange(one.PoolBytes.Held, 1, one.PoolBytes.Bound);
        Assert.Equal((0L, 0L), fresh.PoolBytes);
    }

    [Fact]
    public async Task PoolFillingsReportProgressBeforeTheFirstIterationAndTheFractionOnlyGrows()
    {
        using var h = new Harness();
        using var lease = await h.Cache.AcquireAsync(LeaseMode.Exclusive);
        var trainer = new EsdTrainer(lease.Model, h.Context.TensorFiles);
        var reports = new List<EsdProgress>();
        using var result = trainer.Train(Frozen(6) with { Preserve = ["dog", "bird"], RetainPoolSize = 2, PoolRefresh = 3 }, false, reports.Add, CancellationToken.None);

        var first = reports.TakeWhile(r => r.Phase is not null).ToList();
        Assert.Contains(first, r => r.Phase!.StartsWith("filling the erasure's pool", StringComparison.Ordinal));
        Assert.Contains(first, r => r.Phase!.StartsWith("filling the retain term's pool", StringComparison.Ordinal));
        Assert.All(first, r => Assert.Equal(0, r.Iteration));
        Assert.True(first[^1].Fraction > 0, "the bar must move while the pools fill");
        // The refill at iteration 3 is reported too, and the fraction never goes back.
        Assert.Contains(reports, r => r.Phase is not null && r.Iteration == 3);
        for (int i = 1; i < reports.Count; i++) Assert.True(reports[i].Fraction >= reports[i - 1].Fraction, $"report {i}: {reports[i - 1].Fraction} -> {reports[i].Fraction}");
        Assert.Equal(1.0, reports[^1].Fraction, 9);
        Assert.Equal(Enumerable.Range(1, 6), reports.Where(r => r.Phase is null).Select(r => r.Iteration));
        Assert.Contains("before iteration 1/6", first[0].Describe());
    }

    public static TheoryData<string> ResumableRuns => ["frozen pool refreshed every 3", "trained pool refreshed every 3", "retain pool"];

    [Theory]
    [MemberData(nameof(ResumableRuns))]
    public async Task AResumedPoolRunEqualsTheUninterruptedOne(string run)
    {
        using var h = new Harness();
        var settings = run switch
        {
            "frozen pool refreshed every 3" => Frozen(8) with { PoolRefresh = 3 },
            "trained pool refreshed every 3" => Frozen(8) with { XtFrom = XtSource.Trained, XtRefresh = 3 },
            _ => Frozen(8) with { XtFrom = XtSource.Trained, PoolSize = 0, Preserve = ["dog", "bird"], RetainPoolSize = 2, PoolRefresh = 5 },
        };
        using var lease = await h.Cache.AcquireAsync(LeaseMode.Exclusive);
        var trainer = new EsdTrainer(lease.Model, h.Context.TensorFiles) { CheckpointFolder = Path.Combine(h.DataFolder, "ckpt"), CheckpointEvery = 2 };
        using var whole = trainer.Train(settings, resume: false, null, CancellationToken.None);

        // Cut after iteration 5: the checkpoint at 4 lies inside a pool generation (3..5), so the resumed run must
        // get that generation back, not the one it would sample at iteration 4.
        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Train(settings, false, p => { if (p.Iteration == 5) cancel.Cancel(); }, cancel.Token));
        using var resumed = trainer.Train(settings, resume: true, null, CancellationToken.None);
        Assert.Equal(4, resumed.ResumedFrom);
        AssertSame(whole, resumed);
    }

    [Fact]
    public async Task ATrainedPoolIsSampledWithTheCurrentWeightsAndChangesTheRun()
    {
        using var h = new Harness();
        using var lease = await h.Cache.AcquireAsync(LeaseMode.Exclusive);
        var trainer = new EsdTrainer(lease.Model, h.Context.TensorFiles);
        var exact = Frozen(8) with { XtFrom = XtSource.Trained, LearningRate = 3e-3 };
        using var refreshedOften = trainer.Train(exact with { XtRefresh = 2 }, false, null, CancellationToken.None);
        using var refreshedNever = trainer.Train(exact with { XtRefresh = 100 }, false, null, CancellationToken.None);
        using var frozen = trainer.Train(exact with { XtFrom = XtSource.Frozen }, false, null, CancellationToken.None);
        // Never refreshed within the run, a trained pool is sampled once from the original weights: the frozen pool's
        // x_t (whose kept predictions differ from a teacher call only by rounding). Refreshed every 2, it is not.
        var live = lease.Model.Unet.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        double Distance(EsdResult a, EsdResult b)
        {
            double diff = 0, norm = 0;
            foreach (var (name, t) in a.Trained)
            {
                diff += (t - b.Trained[name]).pow(2).sum().item<float>();
                norm += (t - live[name]).pow(2).sum().item<float>();
            }
            return Math.Sqrt(diff / norm); // relative to the update
        }
        Assert.True(Distance(refreshedNever, frozen) < 1e-3, $"a never refreshed trained pool is {Distance(refreshedNever, frozen):E2} from the frozen pool's run");
        Assert.True(Distance(refreshedOften, frozen) > 1e-2, $"a trained pool refreshed every 2 stayed within {Distance(refreshedOften, frozen):E2} of the frozen pool's run");
    }

    [Fact]
    public async Task PoolSettingsAreCheckedRecordedAndBounded()
    {
        using var h = new Harness();
        var command = EraseConceptCommand.Create(h.Services);
        Dictionary<string, string> Args(params (string Key, string Value)[] extra)
        {
            var args = new Dictionary<string, string> { ["concepts"] = "cat", ["method"] = "esd-x", ["iterations"] = "2", ["ddim-steps"] = "3", ["seed"] = "1" };
            foreach (var (k, v) in extra) args[k] = v;
            return args;
        }
        var e = await Assert.ThrowsAsync<ArgumentException>(() => h.Run(command, Args(("xt-refresh", "5"), ("pool-size", "0"))));
        Assert.Contains("--xt-refresh", e.Message);
        // 4 GiB of trajectories is refused before training, naming the setting and the figure.
        e = await Assert.ThrowsAsync<ArgumentException>(() => h.Run(command, Args(("xt-from", "frozen"), ("pool-size", "4096"), ("ddim-steps", "1000"))));
        Assert.Contains("--pool-size 4096", e.Message);
        Assert.Contains("MiB", e.Message);
        Assert.Empty(h.Services.Store.All());

        var path = Assert.Single((await h.Run(command, Args(("xt-from", "frozen"), ("pool-size", "5"), ("pool-refresh", "7")))).Files);
        var meta = DeltaFile.Inspect(h.Context.TensorFiles, path).Metadata;
        Assert.Equal("5", meta["pool_size"]);
        Assert.Equal("7", meta["pool_refresh"]);
        Assert.False(meta.ContainsKey("xt_refresh"));
    }

    [Fact]
    public void DefaultsFilesNamePoolSettings()
    {
        var s = EsdDefaults.For(DefaultsTests.FolderWith("""{"pool_size": 12, "retain_pool_size": 3, "pool_refresh": 40, "xt_refresh": 25}"""), ["star"]);
        Assert.Equal((12, 3, 40, 25), (s.PoolSize, s.RetainPoolSize, s.PoolRefresh, s.XtRefresh));
        var e = Assert.Throws<InvalidDataException>(() => EsdDefaults.For(DefaultsTests.FolderWith("""{"xt_refresh": "often"}"""), ["star"]));
        Assert.Contains("'xt_refresh'", e.Message);
    }
}

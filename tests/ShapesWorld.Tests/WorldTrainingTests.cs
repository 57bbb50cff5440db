using TestUtilities;
using ShapesWorld.Evaluation;
using ShapesWorld.Training;

namespace ShapesWorld.Tests;

[Collection(HeavyTests.Name)]
public class WorldTrainingTests
{
    [Fact]
    public void TinyTrainingRunWritesALoadableFolderAndResumes()
    {
        using var tmp = new TempFolder();
        var log = new List<(string Line, int Thread)>();
        new WorldModelBuilder(tmp.Path, l => log.Add((l, Environment.CurrentManagedThreadId)), default) { VaeSteps = 4, DiffusionSteps = 4, DiffusionDataset = 64, ClassifierSteps = 2 }
            .Run(["tokenizer", "vae", "diffusion", "classifier"]);
        using var model = DiffusionEngine.StableDiffusion.StableDiffusionModel.Load(tmp.Path, TorchSharp.torch.CPU, TorchSharp.torch.ScalarType.Float32);
        Assert.All(model.Reports, r => Assert.True(r.IsClean, r.Describe()));
        Assert.Equal(8, model.ImageSize / model.VaeScale);

        Assert.False(Directory.Exists(Path.Combine(tmp.Path, ".training", "vae"))); // finished stages leave no checkpoint
        Assert.Contains(log, l => l.Line.StartsWith("vae: scaling_factor", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Line.StartsWith("classifier step 2/2", StringComparison.Ordinal));
        // Every stage reports on the training thread: a report handled on another thread allocates there, and a GC it
        // starts mid LibTorch call can finalize a Scalar LibTorch is still reading (see EngineBench scalar-race).
        Assert.All(log, l => Assert.True(l.Thread == Environment.CurrentManagedThreadId, $"'{l.Line}' was reported on thread {l.Thread}, not the training thread"));
    }

    [Fact]
    public void TheSameSeedTrainsTheSameWeights()
    {
        using var a = new TempFolder();
        using var b = new TempFolder();
        foreach (var folder in new[] { a.Path, b.Path })
            new WorldModelBuilder(folder, _ => { }, default) { VaeSteps = 2, DiffusionSteps = 2, DiffusionDataset = 64 }
                .Run(["tokenizer", "vae", "diffusion"]);
        foreach (var file in new[] { "vae/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors" })
            Assert.True(File.ReadAllBytes(Path.Combine(a.Path, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b.Path, file))), $"{file} differs between two runs with seed 1");
    }

    [Fact]
    public void AnInterruptedStageResumesFromItsCheckpoint()
    {
        using var tmp = new TempFolder();
        var config = DiffusionEngine.Vae.VaeConfig.Parse(WorldModelConfigs.Vae(1).ToString(), "test");
        var options = new VaeStage.Options(Steps: 6, BatchSize: 4, CheckpointEvery: 2, ReportEvery: 1);
        var folder = Path.Combine(tmp.Path, "ckpt");
        using var cancel = new CancellationTokenSource();
        using (var vae = new DiffusionEngine.Vae.AutoencoderKL(config))
            Assert.ThrowsAny<OperationCanceledException>(() => VaeStage.Train(vae, options, folder, false, r => { if (r.Step == 3) cancel.Cancel(); }, cancel.Token));
        Assert.Equal(2, new StageCheckpoint(folder).Step);

        var steps = new List<int>();
        using (var vae = new DiffusionEngine.Vae.AutoencoderKL(config))
            VaeStage.Train(vae, options, folder, resume: true, r => steps.Add(r.Step), default);
        Assert.Equal([3, 4, 5, 6], steps);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void ReportTotalsWeighByImages()
    {
        var report = new EvalReport
        {
            Model = "m", ImagesPerPrompt = 10, Seed = 0, Steps = 25, Guidance = 7.5,
            Prompts =
            [
                new PromptOutcome("a star", new Dictionary<string, string> { ["shape"] = "star" }, new Dictionary<string, double> { ["shape"] = 0.9 }, new Dictionary<string, Dictionary<string, int>>(), 10),
                new PromptOutcome("a moon", new Dictionary<string, string> { ["shape"] = "moon" }, new Dictionary<string, double> { ["shape"] = 0.5 }, new Dictionary<string, Dictionary<string, int>>(), 10),
                new PromptOutcome("a red shape", new Dictionary<string, string> { ["color"] = "red" }, new Dictionary<string, double> { ["color"] = 1.0 }, new Dictionary<string, Dictionary<string, int>>(), 10),
            ],
        };
        Assert.Equal(0.7, report.Total["shape"], 6);
        Assert.Equal(1.0, report.Total["color"], 6);
        Assert.Equal(0.9, report.ByConcept["shape"]["star"], 6);
        Assert.Equal(0.5, report.ByConcept["shape"]["moon"], 6);
    }
}

using TestUtilities;
using DiffusionEngine.Text;
using DiffusionEngine.Unet;
using DiffusionEngine.Vae;
using ShapesWorld;
using ShapesWorld.Classifier;
using ShapesWorld.Training;

namespace ShapesWorld.Tests;

/// <summary>Each training stage learns (a short run's loss falls), and the shipped tokenizer is what the build makes.</summary>
[Collection(HeavyTests.Name)]
public class WorldStageLossTests
{
    private static string Shipped => Path.Combine(RepoPaths.Root, "models", "tiny-shapes");

    /// <summary>Mean of the last reports against the mean of the first ones.</summary>
    private static void AssertFalls(string stage, IReadOnlyList<float> losses, double factor)
    {
        Assert.True(losses.Count >= 6, $"{stage}: only {losses.Count} reports");
        double first = losses.Take(3).Average(), last = losses.TakeLast(3).Average();
        Assert.True(last < factor * first, $"{stage}: loss went from {first:F4} to {last:F4} (expected below {factor} x)");
    }

    [Fact]
    public void AutoencoderLossFalls()
    {
        using var tmp = new TempFolder();
        using var vae = new AutoencoderKL(VaeConfig.Parse(WorldModelConfigs.Vae(1).ToString(), "test"));
        var losses = new List<float>();
        VaeStage.Train(vae, new VaeStage.Options(Steps: 30, BatchSize: 8, ReportEvery: 1), Path.Combine(tmp.Path, "vae"), false, r => losses.Add(r.Loss), default);
        AssertFalls("vae", losses, 0.7);
    }

    [Fact]
    public void DiffusionLossFalls()
    {
        using var tmp = new TempFolder();
        var tokenizer = ClipTokenizer.FromFolder(Path.Combine(Shipped, "tokenizer"));
        using var vae = new AutoencoderKL(VaeConfig.Parse(WorldModelConfigs.Vae(1).ToString(), "test"));
        using var text = new ClipTextModel(ClipTextConfig.Parse(WorldModelConfigs.TextEncoder(tokenizer.VocabSize).ToString(), "test"));
        using var unet = new UNet2DConditionModel(UNetConfig.Parse(WorldModelConfigs.Unet().ToString(), "test"));
        var losses = new List<float>();
        DiffusionStage.Train(unet, text, tokenizer, vae, 1.0, new DiffusionStage.Options(Steps: 40, BatchSize: 16, DatasetSize: 64, ReportEvery: 1),
            Path.Combine(tmp.Path, "diffusion"), false, r => losses.Add(r.Loss), default);
        AssertFalls("diffusion", losses, 0.8);
    }

    [Fact]
    public void MinSnrWeightingScalesEachSampleByMinSnrOverSnr()
    {
        // Two samples: alpha-bar 0.99 (SNR 99, nearly clean) and 0.2 (SNR 0.25, noisy); errors 1 and 2 everywhere.
        using var a = TorchSharp.torch.tensor(new[] { 0.99f, 0.2f }).view(2, 1, 1, 1);
        using var noise = TorchSharp.torch.zeros(2, 4, 8, 8);
        using var predicted = TorchSharp.torch.cat([TorchSharp.torch.ones(1, 4, 8, 8), TorchSharp.torch.full(1, 4, 8, 8, 2f)]);
        using var weighted = DiffusionStage.MinSnrLoss(predicted, noise, a, gamma: 5);
        Assert.Equal((1 * 5.0 / 99 + 4 * 1.0) / 2, weighted.item<float>(), 5);
        // A gamma above every SNR weights nothing down: plain MSE.
        using var plain = DiffusionStage.MinSnrLoss(predicted, noise, a, gamma: 1000);
        Assert.Equal(2.5, plain.item<float>(), 5);
    }

    [Fact]
    public void ClassifierLossFalls()
    {
        var losses = new List<float>();
        using var model = ClassifierTrainer.Train(new ClassifierTrainer.Options(Steps: 300, BatchSize: 16), p => losses.Add(p.Loss));
        AssertFalls("classifier", losses, 0.8);
    }

    [Fact]
    public void TheShippedTokenizerIsWhatTheBuildWrites()
    {
        using var tmp = new TempFolder();
        var (vocab, merges) = WorldVocabulary.Build(seed: new WorldModelBuilder(tmp.Path, _ => { }, default).Seed);
        WorldVocabulary.Write(tmp.Path, vocab, merges);
        foreach (var file in new[] { "vocab.json", "merges.txt" })
            Assert.True(File.ReadAllBytes(Path.Combine(tmp.Path, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(Shipped, "tokenizer", file))), $"{file} differs from the shipped one");

        var shipped = ClipTokenizer.FromFolder(Path.Combine(Shipped, "tokenizer"));
        foreach (var word in WorldInventory.Shapes.Concat(WorldInventory.Colors).Concat(WorldInventory.Styles))
            Assert.Equal([word + "</w>"], shipped.Tokens(word));
    }
}

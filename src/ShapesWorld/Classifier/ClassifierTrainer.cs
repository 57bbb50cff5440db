using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace ShapesWorld.Classifier;

/// <summary>Trains the world classifier on freshly rendered images (an endless, exactly labelled data set).</summary>
public static class ClassifierTrainer
{
    public sealed record Options(int ImageSize = 32, int Width = 32, int Steps = 600, int BatchSize = 128, double LearningRate = 2e-3, int Seed = 1);

    /// <remarks>
    /// <paramref name="progress"/> runs on the training thread, as the other stages' reports do: a report handed to
    /// another thread (as <see cref="Progress{T}"/> does) can start a GC there mid LibTorch call and free a Scalar
    /// LibTorch is reading (see EngineBench's ScalarRace).
    /// </remarks>
    public static WorldClassifier Train(Options o, Action<(int Step, float Loss)>? progress = null, CancellationToken cancel = default)
    {
        torch.manual_seed(o.Seed);
        var rng = new Random(o.Seed);
        var model = new WorldClassifier(o.Width);
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), lr: o.LearningRate, weight_decay: 1e-4);
        var schedule = optim.lr_scheduler.OneCycleLR(optimizer, o.LearningRate, o.Steps);
        for (int step = 1; step <= o.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            using var batch = WorldBatch.Random(rng, o.BatchSize, o.ImageSize, withCaptions: false);
            var logits = model.forward(batch.Images);
            var loss = ClassifierHeads.All
                .Select(h => nn.functional.cross_entropy(logits[h.Attribute], batch.Labels(h.Attribute)))
                .Aggregate((a, b) => a + b);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            schedule.step();
            if (step % 50 == 0 || step == o.Steps) progress?.Invoke((step, loss.item<float>()));
        }
        model.eval();
        return model;
    }

    /// <summary>Fraction right per attribute on <paramref name="count"/> fresh images (seeded).</summary>
    public static Dictionary<string, double> Accuracy(WorldClassifier model, int imageSize, int count, int seed)
    {
        var rng = new Random(seed);
        var right = ClassifierHeads.All.ToDictionary(h => h.Attribute, _ => 0);
        for (int done = 0; done < count; done += 256)
        {
            using var batch = WorldBatch.Random(rng, Math.Min(256, count - done), imageSize, withCaptions: false);
            var predictions = model.Predict(batch.Images);
            for (int i = 0; i < predictions.Count; i++)
            {
                var s = batch.Scenes[i];
                if (predictions[i]["shape"] == s.Shape) right["shape"]++;
                if (predictions[i]["color"] == s.Color) right["color"]++;
                if (predictions[i]["style"] == s.Style) right["style"]++;
                if (predictions[i]["background"] == s.Background) right["background"]++;
            }
        }
        return right.ToDictionary(kv => kv.Key, kv => (double)kv.Value / count);
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace ShapesWorld.Classifier;

/// <summary>
/// Trains the world classifier on freshly rendered images (an endless, exactly labelled data set): scenes, some
/// lightly degraded, and a share of images with no recognisable shape (<see cref="ClassifierExamples"/>).
/// </summary>
public static class ClassifierTrainer
{
    public sealed record Options(int ImageSize = 32, int Width = 32, int Steps = 900, int BatchSize = 128, double LearningRate = 2e-3, int Seed = 1,
        double NoShapeShare = 0.25);

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
            var (images, labels) = Batch(rng, o.BatchSize, o.ImageSize, o.NoShapeShare);
            var logits = model.forward(images);
            var loss = ClassifierHeads.All
                .Select(h => nn.functional.cross_entropy(logits[h.Attribute], labels[h.Attribute], ignore_index: ClassifierExamples.Unknown))
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

    /// <summary>Images [B, 3, S, S] in [-1, 1] and per head int64 [B] labels (<see cref="ClassifierExamples.Unknown"/> where undefined).</summary>
    private static (Tensor Images, Dictionary<string, Tensor> Labels) Batch(Random rng, int count, int size, double noShapeShare)
    {
        // One seed per example, drawn in order, so the parallel rendering gives the same batch every run.
        var seeds = Enumerable.Range(0, count).Select(_ => (rng.Next(), rng.NextDouble() < noShapeShare)).ToArray();
        var examples = new ClassifierExamples.Example[count];
        Parallel.For(0, count, i =>
        {
            var r = new Random(seeds[i].Item1);
            examples[i] = seeds[i].Item2 ? ClassifierExamples.NoShape(r, size) : ClassifierExamples.Positive(r, size);
        });
        return (ToImages(examples.Select(e => e.Pixels).ToList(), size), new Dictionary<string, Tensor>
        {
            ["shape"] = tensor(examples.Select(e => e.Shape).ToArray()),
            ["color"] = tensor(examples.Select(e => e.Color).ToArray()),
            ["style"] = tensor(examples.Select(e => e.Style).ToArray()),
            ["background"] = tensor(examples.Select(e => e.Background).ToArray()),
        });
    }

    private static Tensor ToImages(IReadOnlyList<float[]> pixels, int size)
    {
        int plane = 3 * size * size;
        var data = new float[pixels.Count * plane];
        for (int i = 0; i < pixels.Count; i++)
            for (int j = 0; j < plane; j++) data[i * plane + j] = pixels[i][j] * 2 - 1;
        return tensor(data, [pixels.Count, 3, size, size]);
    }

    /// <summary>Fraction right per attribute on <paramref name="count"/> fresh scenes as the world renders them (seeded); "none" is wrong.</summary>
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

    /// <summary>Per kind of image with no recognisable shape: the fraction of <paramref name="perKind"/> fresh ones the classifier calls "none".</summary>
    public static Dictionary<ClassifierExamples.Negative, double> NoShapeRate(WorldClassifier model, int imageSize, int perKind, int seed)
    {
        var rng = new Random(seed);
        var result = new Dictionary<ClassifierExamples.Negative, double>();
        foreach (var kind in Enum.GetValues<ClassifierExamples.Negative>())
        {
            var examples = Enumerable.Range(0, perKind).Select(_ => ClassifierExamples.NoShape(rng, imageSize, kind)).ToList();
            using var images = ToImages(examples.Select(e => e.Pixels).ToList(), imageSize);
            result[kind] = (double)model.Predict(images).Count(p => p["shape"] == ClassifierHeads.NoShape) / perKind;
        }
        return result;
    }
}

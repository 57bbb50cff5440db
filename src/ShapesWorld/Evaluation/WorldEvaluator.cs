using DiffusionEngine.StableDiffusion;
using TorchSharp;
using ShapesWorld.Classifier;
using static TorchSharp.torch;

namespace ShapesWorld.Evaluation;

/// <summary>
/// Generates K images per prompt and has the world classifier name what each shows: how often the expected
/// shape, colour and style appear (the way the ESD paper judged erasure with an ImageNet classifier).
/// </summary>
public static class WorldEvaluator
{
    /// <param name="NegativePrompt">Steered away from by classifier-free guidance (null: the empty prompt).</param>
    /// <param name="Safety">Safe Latent Diffusion while sampling (null: none).</param>
    public sealed record Settings(int ImagesPerPrompt = 20, long Seed = 0, int Steps = 25, double Guidance = 7.5,
        string? NegativePrompt = null, SafetyGuidance? Safety = null);

    /// <returns>The outcomes and, per prompt, the images [K, 3, S, S] in [-1, 1] (caller disposes).</returns>
    public static (List<PromptOutcome> Outcomes, List<Tensor> Images) Run(StableDiffusionModel model, WorldClassifier classifier,
        IReadOnlyList<EvalPrompt> prompts, Settings s, Action<int, int>? onPrompt = null, CancellationToken cancel = default)
    {
        var outcomes = new List<PromptOutcome>();
        var images = new List<Tensor>();
        for (int i = 0; i < prompts.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var p = prompts[i];
            var generated = TextToImage.Generate(model, new TextToImageRequest
            {
                Prompt = p.Prompt, Steps = s.Steps, Guidance = s.Guidance, Seed = s.Seed + 1000L * i,
                Count = s.ImagesPerPrompt, BatchSize = s.ImagesPerPrompt, NegativePrompt = s.NegativePrompt, Safety = s.Safety,
            }, "", [], cancel: cancel);
            var batch = stack(generated.Select(g => g.Image).ToList());
            foreach (var (img, _) in generated) img.Dispose();
            var all = classifier.Predict(batch);
            images.Add(batch);
            var degenerate = Degenerate(batch);
            var predictions = all.Where((_, k) => !degenerate[k]).ToList();

            var predicted = ClassifierHeads.All.ToDictionary(h => h.Attribute, h => predictions.GroupBy(x => x[h.Attribute]).ToDictionary(g => g.Key, g => g.Count()));
            var rates = predictions.Count == 0 ? new Dictionary<string, double>()
                : p.Expect.ToDictionary(e => e.Key, e => (double)predictions.Count(x => x[e.Key] == e.Value) / predictions.Count);
            outcomes.Add(new PromptOutcome(p.Prompt, p.Expect, rates, predicted, all.Count, degenerate.Count(d => d)));
            onPrompt?.Invoke(i + 1, prompts.Count);
        }
        return (outcomes, images);
    }

    /// <summary>Below this pixel standard deviation an image is one flat colour: nothing was drawn.</summary>
    public const double UniformBelow = 0.02;

    /// <summary>Per image of [K, 3, S, S]: not finite anywhere, or one flat colour (a broken model's output, never judged).</summary>
    public static bool[] Degenerate(Tensor images)
    {
        using var scope = NewDisposeScope();
        var flat = images.reshape(images.shape[0], -1).to(float64);
        var finite = isfinite(flat).all(1).data<bool>().ToArray();
        var std = nan_to_num(flat).std(1).data<double>().ToArray();
        return finite.Select((f, k) => !f || std[k] < UniformBelow).ToArray();
    }

    /// <summary>
    /// Evaluates a loaded model as it is (with whatever weights are live) with the classifier in
    /// <paramref name="classifierDir"/> (default: the model folder's); <paramref name="delta"/> only names the edit in the
    /// report; <paramref name="sheet"/>, when given, is where the contact sheet is written.
    /// </summary>
    public static EvalReport Evaluate(StableDiffusionModel model, string? classifierDir, IReadOnlyList<EvalPrompt> prompts, Settings settings,
        string? delta, string? sheet, Action<int, int>? onPrompt = null, CancellationToken cancel = default)
    {
        var (classifier, _) = ClassifierFiles.Load(classifierDir ?? Path.Combine(model.Folder.Root, ClassifierFiles.FolderName));
        using var __ = classifier;
        classifier.to(model.Device);
        var (outcomes, images) = Run(model, classifier, prompts, settings, onPrompt, cancel);
        try
        {
            if (sheet is not null)
            {
                var matches = images.Select((batch, i) => (IReadOnlyList<bool>)classifier.Predict(batch)
                    .Select(p => outcomes[i].Expect.All(e => p[e.Key] == e.Value)).ToList()).ToList();
                ContactSheet.Save(sheet, images, outcomes, matches);
            }
        }
        finally
        {
            foreach (var t in images) t.Dispose();
        }
        return new EvalReport
        {
            Model = model.Folder.Root, Delta = delta is null ? null : string.Join(",", delta.Split(",").Select(Path.GetFullPath)),
            ImagesPerPrompt = settings.ImagesPerPrompt, Seed = settings.Seed, Steps = settings.Steps, Guidance = settings.Guidance,
            NegativePrompt = settings.NegativePrompt, Safety = settings.Safety, Prompts = outcomes,
        };
    }
}

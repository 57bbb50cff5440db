using DiffusionEngine.StableDiffusion;
using ShapesWorld.Evaluation;
using TestUtilities;
using static TorchSharp.torch;

namespace ShapesWorld.Tests;

/// <summary>Blank or broken images are reported as such, never as "the concept is absent".</summary>
[Collection(HeavyTests.Name)]
public class DegenerateImageTests
{
    [Fact]
    public void BlankAndNonFiniteImagesAreDegenerateAndDrawnOnesAreNot()
    {
        using var g = new TorchSharp.torch.Generator(1);
        var images = stack([zeros(3, 32, 32), full(3, 32, 32, 0.7f), full(3, 32, 32, float.NaN), rand(new long[] { 3, 32, 32 }, generator: g) * 2 - 1]);
        Assert.Equal([true, true, true, false], WorldEvaluator.Degenerate(images));
    }

    [Fact]
    public void AModelThatDrawsNothingIsNotJudgedErased()
    {
        using var model = StableDiffusionModel.Load(RepoPaths.BundledModel, CPU, ScalarType.Float32);
        using (no_grad()) // a broken decoder: every image one flat colour
            foreach (var (name, p) in model.Vae.named_parameters().Where(p => p.name.StartsWith("decoder.conv_out"))) p.zero_();
        var report = WorldEvaluator.Evaluate(model, null, [new EvalPrompt("a star", new Dictionary<string, string> { ["shape"] = "star" })],
            new WorldEvaluator.Settings(ImagesPerPrompt: 4, Steps: 3), null, null);
        var star = Assert.Single(report.Prompts);
        Assert.Equal(4, star.Degenerate);
        Assert.Empty(star.Rates);            // not "0% stars"
        Assert.False(report.ByConcept.ContainsKey("shape"));
        Assert.Equal(4, report.Degenerate);
        Assert.Equal(4, (int)report.ToJson()["prompts"]![0]!["degenerate"]!);
    }
}

using ShapesWorld;
using ShapesWorld.Classifier;

namespace ShapesWorld.Tests;

public class ClassifierExampleTests
{
    [Fact]
    public void ImagesWithNoShapeAreLabelledNoneAndLeaveUndefinedAttributesUnknown()
    {
        var rng = new Random(1);
        long none = ClassifierHeads.Values("shape").ToList().IndexOf(ClassifierHeads.NoShape);
        Assert.Equal(WorldInventory.Shapes.Count, none);
        foreach (var kind in Enum.GetValues<ClassifierExamples.Negative>())
        {
            var e = ClassifierExamples.NoShape(rng, 32, kind);
            Assert.Equal(3 * 32 * 32, e.Pixels.Length);
            Assert.All(e.Pixels, p => Assert.InRange(p, 0f, 1f));
            Assert.Equal(none, e.Shape);
            Assert.Equal(kind, e.Kind);
            // An empty canvas has no colour or style; a blur or fragments keep the colour but not a readable style.
            if (kind is ClassifierExamples.Negative.Empty or ClassifierExamples.Negative.Noise) Assert.Equal(ClassifierExamples.Unknown, e.Color);
            if (kind is not ClassifierExamples.Negative.Blob) Assert.Equal(ClassifierExamples.Unknown, e.Style);
        }
    }

    [Fact]
    public void APositiveIsTheSceneItsLabelsName()
    {
        var e = ClassifierExamples.Positive(new Random(2), 32, degrade: 0);
        var again = new Random(2);
        var scene = Scene.Random(again);
        Assert.Equal(SceneRenderer.Render(scene, 32), e.Pixels);
        Assert.Equal(WorldInventory.Shapes.ToList().IndexOf(scene.Shape), e.Shape);
        Assert.Equal(WorldInventory.Colors.ToList().IndexOf(scene.Color), e.Color);
        Assert.Null(e.Kind);
    }

    [Fact]
    public void BlurKeepsTheMeanAndSmoothsEdges()
    {
        var pixels = SceneRenderer.Render(new Scene("square", "red", "flat", "black", 0.5f, 0.5f, 0.35f, 0), 32);
        var blurred = ClassifierExamples.Blur(pixels, 32, 2f);
        Assert.Equal(pixels.Average(), blurred.Average(), 2);
        float MaxStep(float[] p) => Enumerable.Range(0, 31).Max(x => MathF.Abs(p[16 * 32 + x + 1] - p[16 * 32 + x]));
        Assert.True(MaxStep(blurred) < MaxStep(pixels) / 2);
    }
}

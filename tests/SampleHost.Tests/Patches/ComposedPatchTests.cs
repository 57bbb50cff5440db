using Host.Abstractions;
using SampleHost.Patches;
using SampleHost.Tests.LoadedModels;
using static TorchSharp.torch;

namespace SampleHost.Tests.Patches;

/// <summary>Patches at a strength, and several edits composed: w0 + Σ s·(v − w0) (differences: + s·d).</summary>
public class ComposedPatchTests
{
    private static Dictionary<string, Tensor> Edited(TinyUnet net, int seed, params string[] names)
    {
        manual_seed(seed);
        return names.ToDictionary(n => n, n => net.get_parameter(n)!.detach().clone() + randn(net.get_parameter(n)!.shape));
    }

    [Fact]
    public void StrengthZeroIsTheOriginalAndStrengthOneTheEditBitForBit()
    {
        using var net = new TinyUnet();
        using var patcher = new WeightPatcher(net);
        var original = net.Snapshot();
        var edit = Edited(net, 1, "conv_in.weight", "blocks.1.weight");

        patcher.Apply([new PatchPart(edit, Strength: 0)], "s0");
        Assert.Equal("s0", patcher.LiveStamp);
        foreach (var (name, bytes) in original) Assert.True(bytes.AsSpan().SequenceEqual(net.Snapshot()[name]), $"{name} changed at strength 0");

        patcher.Apply([new PatchPart(edit, Strength: 1)], "s1");
        foreach (var (name, value) in edit) Assert.True(TinyUnet.SameBits(net.get_parameter(name)!, value), $"{name} is not the edit at strength 1");

        patcher.Restore();
        foreach (var (name, bytes) in original) Assert.True(bytes.AsSpan().SequenceEqual(net.Snapshot()[name]), $"{name} not restored");
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(-1.0)]
    [InlineData(2.0)]
    public void AStrengthScalesTheDifferenceFromTheOriginal(double s)
    {
        using var net = new TinyUnet();
        using var patcher = new WeightPatcher(net);
        var w0 = net.get_parameter("blocks.1.weight")!.detach().clone();
        var edit = Edited(net, 2, "blocks.1.weight");

        patcher.Apply([new PatchPart(edit, s)], "scaled");

        using var expected = w0 + s * (edit["blocks.1.weight"] - w0);
        Assert.True(allclose(net.get_parameter("blocks.1.weight")!, expected, rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void PartsAddTheirDifferencesAndADifferencePartAddsItself()
    {
        using var net = new TinyUnet();
        using var patcher = new WeightPatcher(net);
        var w0 = net.get_parameter("blocks.1.weight")!.detach().clone();
        var b0 = net.get_parameter("conv_in.weight")!.detach().clone();
        var a = Edited(net, 3, "blocks.1.weight");
        var b = Edited(net, 4, "blocks.1.weight", "conv_in.weight");
        var d = new Dictionary<string, Tensor> { ["conv_in.weight"] = randn(b0.shape) };

        patcher.Apply([new PatchPart(a), new PatchPart(b, 0.5), new PatchPart(d, 2, PatchForm.Difference)], "composed");

        using var expectedW = w0 + (a["blocks.1.weight"] - w0) + 0.5 * (b["blocks.1.weight"] - w0);
        using var expectedB = b0 + 0.5 * (b["conv_in.weight"] - b0) + 2 * d["conv_in.weight"];
        Assert.True(allclose(net.get_parameter("blocks.1.weight")!, expectedW, rtol: 1e-6, atol: 1e-6));
        Assert.True(allclose(net.get_parameter("conv_in.weight")!, expectedB, rtol: 1e-6, atol: 1e-5));
        Assert.Equal(["blocks.1.weight", "conv_in.weight"], patcher.PatchedNames.Order());
    }

    [Fact]
    public void AComposedPatchThatDoesNotFitNamesThePartAndChangesNothing()
    {
        using var net = new TinyUnet();
        using var patcher = new WeightPatcher(net);
        patcher.Apply(Edited(net, 5, "blocks.1.weight"), "earlier");
        var before = net.Snapshot();
        var good = Edited(net, 6, "conv_in.weight");
        var bad = new Dictionary<string, Tensor> { ["blocks.1.weight"] = randn(3, 3) };

        var e = Assert.Throws<WeightPatchException>(() => patcher.Apply([new PatchPart(good), new PatchPart(bad, 1, PatchForm.Difference)], "mixed"));
        Assert.Contains("part 2: 'blocks.1.weight' has shape [3, 3]", e.Message);
        e = Assert.Throws<WeightPatchException>(() => patcher.Apply([new PatchPart(good, double.NaN)], "nan"));
        Assert.Contains("strength NaN is not a finite number", e.Message);
        e = Assert.Throws<WeightPatchException>(() => patcher.Apply([new PatchPart(good, 11)], "big"));
        Assert.Contains("strength 11", e.Message);

        Assert.Equal("earlier", patcher.LiveStamp);
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(net.Snapshot()[name]), $"{name} changed");
    }
}

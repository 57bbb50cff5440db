using Host.Abstractions;
using SampleHost.LoadedModels;
using SampleHost.Patches;
using SampleHost.Tests.LoadedModels;
using TorchSharp;
using static TorchSharp.torch;

namespace SampleHost.Tests.Patches;

public class WeightPatcherTests
{
    private static Dictionary<string, Tensor> RandomPatch(TinyUnet net, params string[] names) =>
        names.ToDictionary(n => n, n => randn(net.get_parameter(n)!.shape));

    private static void AssertBytes(Dictionary<string, byte[]> expected, TinyUnet net, params string[] only)
    {
        var actual = net.Snapshot();
        foreach (var (name, bytes) in expected)
            if (only.Length == 0 || only.Contains(name))
                Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), $"parameter {name} differs");
    }

    [Fact]
    public void ApplyThenRestoreIsBitExact()
    {
        using var net = new TinyUnet();
        using var patcher = new WeightPatcher(net);
        var original = net.Snapshot();
        var patch = RandomPatch(net, "conv_in.weight", "blocks.1.weight", "conv_out.bias");
        // A float64 tensor for a float32 parameter converts on copy.
        patch["blocks.0.bias"] = randn(net.get_parameter("blocks.0.bias")!.shape, dtype: ScalarType.Float64);

        patcher.Apply(patch, "patch-a");

        Assert.Equal("patch-a", patcher.LiveStamp);
        Assert.Equal(patch.Keys.Order(), patcher.PatchedNames.Order());
        foreach (var (name, value) in patch)
            Assert.True(TinyUnet.SameBits(net.get_parameter(name)!, value.to(ScalarType.Float32)), $"{name} should hold the patch");
        var untouched = original.Keys.Except(patch.Keys).ToArray();
        Assert.NotEmpty(untouched);
        AssertBytes(original, net, untouched);
        Assert.False(original["conv_in.weight"].AsSpan().SequenceEqual(net.Snapshot()["conv_in.weight"]));

        patcher.Restore();

        AssertBytes(original, net);
        Assert.Null(patcher.LiveStamp);
        Assert.Empty(patcher.PatchedNames);
    }

    [Fact]
    public void ParameterObjectsStayTheSame()
    {
        using var net = new TinyUnet();
        using var patcher = new WeightPatcher(net);
        var before = net.named_parameters().ToDictionary(p => p.name, p => (p.parameter, p.parameter.Handle));
        var optimizer = optim.SGD(net.parameters(), 0.1);   // holds references to the parameters

        patcher.Apply(RandomPatch(net, before.Keys.ToArray()), "all");
        foreach (var (name, parameter) in net.named_parameters())
        {
            Assert.Same(before[name].parameter, parameter);
            Assert.Equal(before[name].Handle, parameter.Handle);
            Assert.True(parameter.requires_grad, $"{name} should still require grad");
        }
        patcher.Restore();
        foreach (var (name, parameter) in net.named_parameters())
        {
            Assert.Same(before[name].parameter, parameter);
            Assert.Equal(before[name].Handle, parameter.Handle);
        }
        optimizer.Dispose();
    }

    [Theory]
    [InlineData("shape")]
    [InlineData("unknown")]
    [InlineData("dtype")]
    public void PatchThatDoesNotFitChangesNothing(string fault)
    {
        using var net = new TinyUnet();
        using var patcher = new WeightPatcher(net);
        patcher.Apply(RandomPatch(net, "blocks.0.weight", "conv_out.weight"), "live-a");
        var live = net.Snapshot();

        var bad = RandomPatch(net, "conv_in.weight", "blocks.2.weight", "blocks.0.weight");
        string culprit;
        switch (fault)
        {
            case "shape": culprit = "blocks.1.bias"; bad[culprit] = randn(3); break;
            case "unknown": culprit = "blocks.9.weight"; bad[culprit] = randn(16, 16); break;
            default: culprit = "conv_out.bias"; bad[culprit] = ones(4, dtype: ScalarType.Int64); break;
        }

        var e = Assert.Throws<WeightPatchException>(() => patcher.Apply(bad, "bad-b"));

        Assert.Contains(culprit, e.Message);
        Assert.Contains("bad-b", e.Message);
        AssertBytes(live, net);
        Assert.Equal("live-a", patcher.LiveStamp);
        Assert.Equal(["blocks.0.weight", "conv_out.weight"], patcher.PatchedNames.Order());
    }

    [Fact]
    public void ErrorNamesEveryTensorThatDoesNotFit()
    {
        using var net = new TinyUnet();
        using var patcher = new WeightPatcher(net);
        var original = net.Snapshot();
        var bad = new Dictionary<string, Tensor> { ["conv_in.bias"] = randn(2), ["nope"] = randn(1), ["blocks.0.bias"] = randn(16) };
        var e = Assert.Throws<WeightPatchException>(() => patcher.Apply(bad, "x"));
        Assert.Contains("'conv_in.bias' has shape [2], the model's is [16]", e.Message);
        Assert.Contains("'nope' is not a parameter", e.Message);
        Assert.DoesNotContain("blocks.0.bias", e.Message);
        AssertBytes(original, net);
        Assert.Null(patcher.LiveStamp);
    }

    [Fact]
    public void PatchOverPatchThenRestoreGivesTheOriginal()
    {
        using var net = new TinyUnet();
        using var patcher = new WeightPatcher(net);
        var original = net.Snapshot();
        var a = RandomPatch(net, "conv_in.weight", "blocks.0.weight");
        var b = RandomPatch(net, "blocks.0.weight", "blocks.1.weight");

        patcher.Apply(a, "a");
        patcher.Apply(b, "b");

        Assert.Equal("b", patcher.LiveStamp);
        Assert.Equal(["blocks.0.weight", "blocks.1.weight"], patcher.PatchedNames.Order());
        AssertBytes(original, net, "conv_in.weight");   // a's tensor not in b is back to the original
        Assert.True(TinyUnet.SameBits(net.get_parameter("blocks.0.weight")!, b["blocks.0.weight"]));
        using (var o = patcher.Original("blocks.0.weight"))
            Assert.Equal(original["blocks.0.weight"], TinyUnet.Bytes(o));

        patcher.Restore();
        AssertBytes(original, net);
        patcher.Restore();   // restoring with nothing live is harmless
        AssertBytes(original, net);
    }

    [Fact]
    public void OriginalIsAnIndependentCpuCopy()
    {
        using var net = new TinyUnet();
        using var patcher = new WeightPatcher(net);
        var original = net.Snapshot();
        using var neverPatched = patcher.Original("conv_out.weight");
        Assert.Equal(DeviceType.CPU, neverPatched.device_type);
        Assert.Equal(original["conv_out.weight"], TinyUnet.Bytes(neverPatched));

        patcher.Apply(RandomPatch(net, "conv_out.weight"), "p");
        using var copy = patcher.Original("conv_out.weight");
        copy.fill_(0f);
        patcher.Restore();
        AssertBytes(original, net);
        Assert.Throws<ArgumentException>(() => patcher.Original("no.such.tensor"));
    }

    [Fact]
    public void BackupsOutliveTheCallersDisposeScope()
    {
        using var net = new TinyUnet();
        using var patcher = new WeightPatcher(net);
        var original = net.Snapshot();
        using (var scope = NewDisposeScope())
        {
            patcher.Apply(RandomPatch(net, "conv_in.weight", "blocks.2.bias"), "scoped");
        }
        GC.Collect();
        patcher.Restore();
        AssertBytes(original, net);
    }

    [Fact]
    public async Task ConcurrentAppliesNeverLeaveAMixedPatch()
    {
        using var net = new TinyUnet();
        using var patcher = new WeightPatcher(net);
        var original = net.Snapshot();
        var names = original.Keys.ToArray();
        var patches = new[] { RandomPatch(net, names), RandomPatch(net, names) };

        var workers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                patcher.Apply(patches[w], $"p{w}");
                if (i % 3 == 0) patcher.Restore();
            }
        })).ToArray();
        await Task.WhenAll(workers);

        var stamp = patcher.LiveStamp;
        if (stamp is null) AssertBytes(original, net);
        else
        {
            var live = patches[stamp == "p0" ? 0 : 1];
            foreach (var (name, value) in live)
                Assert.True(TinyUnet.SameBits(net.get_parameter(name)!, value), $"{name} should hold {stamp}");
        }
        patcher.Restore();
        AssertBytes(original, net);
    }
}

using Host.Abstractions;
using SampleHost.LoadedModels;
using SampleHost.Patches;
using TorchSharp;
using static TorchSharp.torch;

namespace SampleHost.Tests.LoadedModels;

public class TensorFingerprintTests
{
    private static readonly Tensor A = arange(12, dtype: ScalarType.Float32).reshape(3, 4);
    private static readonly Tensor B = linspace(-1, 1, 5);

    [Fact]
    public void SameValuesInAnyOrderGiveTheSameHash()
    {
        var one = TensorFingerprint.Of([("a", A), ("b", B)]);
        var two = TensorFingerprint.Of([("b", B.clone()), ("a", A.clone())]);
        Assert.Equal(one, two);
        Assert.Matches("^[0-9a-f]{64}$", one);
    }

    [Fact]
    public void NameDtypeShapeAndValuesAllCount()
    {
        var baseline = TensorFingerprint.Of([("a", A), ("b", B)]);
        var changed = A.clone();
        changed[1, 2] = tensor(100f);
        Assert.NotEqual(baseline, TensorFingerprint.Of([("a", changed), ("b", B)]));
        Assert.NotEqual(baseline, TensorFingerprint.Of([("a2", A), ("b", B)]));
        Assert.NotEqual(baseline, TensorFingerprint.Of([("a", A.reshape(4, 3)), ("b", B)]));
        // Same bytes, other dtype.
        var sameBytes = zeros(new long[] { 3, 4 }, dtype: ScalarType.Int32);
        sameBytes.bytes = A.bytes;
        Assert.NotEqual(baseline, TensorFingerprint.Of([("a", sameBytes), ("b", B)]));
        Assert.NotEqual(baseline, TensorFingerprint.Of([("a", A)]));
    }

    [Fact]
    public void NonContiguousTensorsHashTheirValues()
    {
        var transposed = A.t();
        Assert.False(transposed.is_contiguous());
        Assert.Equal(TensorFingerprint.Of([("t", transposed.contiguous())]), TensorFingerprint.Of([("t", transposed)]));
    }

    [Fact]
    public void DuplicateNamesAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => TensorFingerprint.Of([("a", A), ("a", B)]));
        Assert.Contains("'a'", e.Message);
    }

    [Fact]
    public void ModelFingerprintFollowsItsWeights()
    {
        using var net = new TinyUnet();
        using var patcher = new WeightPatcher(net);
        string Print() => TensorFingerprint.Of(net.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
        var before = Print();
        patcher.Apply(new Dictionary<string, Tensor> { ["blocks.0.bias"] = zeros(16) }, "z");
        Assert.NotEqual(before, Print());
        patcher.Restore();
        Assert.Equal(before, Print());
    }
}

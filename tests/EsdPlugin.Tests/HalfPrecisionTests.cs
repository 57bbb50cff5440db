using TestUtilities;
using EsdPlugin.Training;
using Host.Abstractions;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace EsdPlugin.Tests;

/// <summary>
/// Training a half-precision model: float32 masters, gradients and Adam state, so a bf16 run moves the weights as a
/// float32 run does and an fp16 run stays finite.
/// </summary>
[Collection(HeavyTests.Name)]
public class HalfPrecisionTests(ITestOutputHelper output)
{
    private static EsdSettings Settings(double lr, int iterations) => new()
    {
        Concepts = ["cat"], Method = EsdMethod.EsdX, Iterations = iterations, DdimSteps = 4, LearningRate = lr, Seed = 5,
    };

    /// <summary>The trained tensors (float32, CPU) and the originals they replace, of a run on alpha in <paramref name="dtype"/>.</summary>
    private static async Task<(Dictionary<string, Tensor> Trained, Dictionary<string, Tensor> Base, int Skipped)> Run(ScalarType dtype, EsdSettings s)
    {
        using var h = new Harness(dtype: dtype);
        using var lease = await h.Cache.AcquireAsync(LeaseMode.Exclusive);
        var live = lease.Model.Unet.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var result = new EsdTrainer(lease.Model, h.Context.TensorFiles).Train(s, false, null, CancellationToken.None);
        Assert.All(result.Trained.Values, t => Assert.Equal(dtype, t.dtype)); // the delta is in the base's dtype
        return (result.Trained.ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float32)),
                result.Trained.Keys.ToDictionary(n => n, n => live[n].detach().to(ScalarType.Float32, copy: true)), result.SkippedSteps);
    }

    [Fact]
    public async Task ABFloat16RunMovesTheWeightsAsAFloat32RunDoes()
    {
        var s = Settings(1e-4, 20);
        var (t32, b32, _) = await Run(ScalarType.Float32, s);
        var (t16, b16, _) = await Run(ScalarType.BFloat16, s);
        double diff = 0, norm32 = 0, norm16 = 0, dot = 0;
        long moved32 = 0, moved16 = 0, total = 0;
        foreach (var name in t32.Keys)
        {
            using var d32 = t32[name] - b32[name];
            using var d16 = t16[name] - b16[name];
            // What the float32 run's result would be once written as bf16: the rounding every bf16 delta carries.
            using var r32 = t32[name].to(ScalarType.BFloat16).to(ScalarType.Float32) - b16[name];
            diff += (d16 - d32).pow(2).sum().item<float>();
            norm32 += d32.pow(2).sum().item<float>();
            norm16 += d16.pow(2).sum().item<float>();
            dot += (d16 * d32).sum().item<float>();
            moved32 += r32.ne(0).sum().item<long>();
            moved16 += d16.ne(0).sum().item<long>();
            total += d32.numel();
        }
        double cos = dot / Math.Sqrt(norm16 * norm32), ratio = Math.Sqrt(norm16 / norm32);
        output.WriteLine($"|d16 - d32| / |d32| = {Math.Sqrt(diff / norm32):F3}; cos = {cos:F3}; |d16|/|d32| = {ratio:F3}; " +
                         $"moved: float32 rounded {moved32}/{total}, bf16 {moved16}/{total}");
        // The bf16 forward computes other gradients than the float32 one, so the updates agree in direction and size
        // rather than bit for bit. Adam on the bf16 weights themselves (no masters) gives cos 0.31 and moves a quarter
        // of the weights the float32 run moves: its 1e-4 steps mostly round away.
        Assert.True(cos > 0.85, $"bf16 update direction differs from float32's: cos {cos:F3}");
        Assert.InRange(ratio, 0.8, 1.25);
        Assert.True(moved16 >= 0.8 * moved32, $"bf16 moved {moved16} weights, the float32 run (rounded to bf16) {moved32}");
    }

    [Fact]
    public async Task AFloat16RunStaysFiniteAndMoves()
    {
        // lr 1e-3: without masters fp16 Adam's second moment underflows and its steps turn to inf, then NaN.
        var s = Settings(1e-3, 10);
        var (t16, b16, skipped) = await Run(ScalarType.Float16, s);
        var (t32, b32, _) = await Run(ScalarType.Float32, s);
        double dot = 0, n16 = 0, n32 = 0;
        foreach (var name in t16.Keys)
        {
            Assert.True(isfinite(t16[name]).all().item<bool>(), $"{name} is not finite after fp16 training");
            using var d16 = t16[name] - b16[name];
            using var d32 = t32[name] - b32[name];
            dot += (d16 * d32).sum().item<float>();
            n16 += d16.pow(2).sum().item<float>();
            n32 += d32.pow(2).sum().item<float>();
        }
        output.WriteLine($"fp16: {skipped} steps skipped; cos to float32 {dot / Math.Sqrt(n16 * n32):F3}, |d16|/|d32| {Math.Sqrt(n16 / n32):F3}");
        Assert.True(skipped < s.Iterations / 2, $"{skipped} of {s.Iterations} steps skipped");
        Assert.True(dot / Math.Sqrt(n16 * n32) > 0.85, "the fp16 run should move the weights as the float32 run does");
    }
}

using DiffusionEngine.Safetensors;
using TestUtilities;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests;

/// <summary>Comparisons against reference outputs and between two loads of the same weights.</summary>
internal static class ReferenceAssert
{
    /// <summary>The reference output <paramref name="name"/> and <paramref name="actual"/> have one shape and are within <paramref name="tolerance"/> relative error.</summary>
    public static void Close(ITestOutputHelper output, SafetensorsFile outputs, string name, Tensor actual, double tolerance = 1e-4)
    {
        using var expected = outputs.Read(name);
        Assert.Equal(expected.shape, actual.shape);
        double error = Tolerances.RelativeError(actual, expected);
        output.WriteLine($"{name}: relative error {error:E2}");
        Assert.True(error <= tolerance, $"{name}: relative error {error:E3} > {tolerance:E0}");
    }

    /// <summary>Both modules hold the same tensors under the same names, bit for bit (and, when given, all in <paramref name="dtype"/>).</summary>
    public static void SameTensors(string label, nn.Module actual, nn.Module expected, ScalarType? dtype = null)
    {
        var a = actual.state_dict();
        var b = expected.state_dict();
        Assert.Equal(b.Keys.Order(StringComparer.Ordinal), a.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in b)
        {
            if (dtype is { } d) Assert.Equal(d, a[key].dtype);
            using var same = a[key].eq(value);
            using var all = same.all();
            Assert.True(all.item<bool>(), $"{label} {key} differs");
        }
    }
}

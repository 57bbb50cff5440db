using static TorchSharp.torch;

namespace TestUtilities;

/// <summary>How far a computed tensor is from a reference one.</summary>
public static class Tolerances
{
    /// <summary>||actual - reference|| / ||reference||, in float64.</summary>
    public static double RelativeError(Tensor actual, Tensor reference)
    {
        using var a = actual.to(float64);
        using var b = reference.to(float64);
        using var diff = a - b;
        return diff.norm().item<double>() / b.norm().item<double>();
    }
}

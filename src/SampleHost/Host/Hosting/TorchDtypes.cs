using static TorchSharp.torch;

namespace SampleHost.Hosting;

/// <summary>The compute dtype from the --dtype option (float32 by default; float16/bfloat16 mainly for CUDA).</summary>
public static class TorchDtypes
{
    public static ScalarType Parse(string? name) => (name ?? "float32").ToLowerInvariant() switch
    {
        "float32" or "fp32" => ScalarType.Float32,
        "float16" or "fp16" or "half" => ScalarType.Float16,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        var other => throw new ArgumentException($"unknown dtype '{other}': expected float32, float16 or bfloat16"),
    };

    public static string Name(ScalarType t) => t switch
    {
        ScalarType.Float32 => "float32", ScalarType.Float16 => "float16", ScalarType.BFloat16 => "bfloat16", _ => t.ToString(),
    };
}

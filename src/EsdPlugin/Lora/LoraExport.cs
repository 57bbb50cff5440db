using TorchSharp;
using static TorchSharp.torch;

namespace EsdPlugin.Lora;

/// <summary>One layer of a compact LoRA: the rank kept and how much of the weight's difference it loses.</summary>
internal sealed record LoraLayerError(string Layer, int Rank, double RelativeError);

/// <summary>
/// An edit's differences from its base (edited − original, by U-Net parameter) as the tensors of a LoRA file:
/// exact (<c>diff</c> / <c>diff_b</c>, the full difference) or compact (a truncated SVD of each weight's difference as
/// <c>lora_down</c> [r, in(, kh, kw)] and <c>lora_up</c> [out, r(, 1, 1)] with <c>alpha</c> = r, so the hosts' scale
/// alpha / r is 1). What a low-rank pair cannot carry goes in full: a bias as <c>diff_b</c> beside it (ComfyUI applies
/// it; A1111 ignores a bias beside a LoRA pair), a norm's 1-D weight as <c>diff</c>.
/// </summary>
internal static class LoraExport
{
    /// <param name="differences">float32 differences by parameter name, each the parameter's shape.</param>
    public static Dictionary<string, Tensor> Exact(IReadOnlyDictionary<string, Tensor> differences, LoraNames names)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (parameter, d) in differences.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            tensors[names.Of(parameter) + (IsBias(parameter) ? ".diff_b" : ".diff")] = d.contiguous();
        RequireEachBiasWithItsWeight(tensors);
        return tensors;
    }

    /// <param name="rank">Rank of Linear layers' pairs (and 1x1 convolutions').</param>
    /// <param name="convRank">Rank of k x k convolutions' pairs.</param>
    public static (Dictionary<string, Tensor> Tensors, List<LoraLayerError> Errors) Compact(
        IReadOnlyDictionary<string, Tensor> differences, LoraNames names, int rank, int convRank)
    {
        if (rank < 1 || convRank < 1) throw new ArgumentException($"ranks must be at least 1 (rank {rank}, conv rank {convRank})");
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var errors = new List<LoraLayerError>();
        foreach (var (parameter, d) in differences.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var name = names.Of(parameter);
            if (IsBias(parameter)) { tensors[name + ".diff_b"] = d.contiguous(); continue; }
            if (d.dim() is not (2 or 4)) { tensors[name + ".diff"] = d.contiguous(); continue; }
            bool kxk = d.dim() == 4 && (d.shape[2] > 1 || d.shape[3] > 1);
            var (down, up, r, error) = LowRank(d, kxk ? convRank : rank);
            tensors[name + ".lora_down.weight"] = down;
            tensors[name + ".lora_up.weight"] = up;
            tensors[name + ".alpha"] = tensor((float)r);
            errors.Add(new LoraLayerError(name, r, error));
        }
        RequireEachBiasWithItsWeight(tensors);
        return (tensors, errors);
    }

    /// <summary>
    /// The best rank-r pair for a difference [out, in(, kh, kw)] (truncated SVD of it as [out, in·kh·kw], the singular
    /// values split evenly between the two) and its relative Frobenius error.
    /// </summary>
    private static (Tensor Down, Tensor Up, int Rank, double Error) LowRank(Tensor d, int rank)
    {
        using var scope = NewDisposeScope();
        long outDim = d.shape[0];
        var matrix = d.reshape(outDim, -1).to(ScalarType.Float64);
        int r = (int)Math.Min(rank, Math.Min(matrix.shape[0], matrix.shape[1]));
        var (u, s, vh) = linalg.svd(matrix, fullMatrices: false);
        var root = s.narrow(0, 0, r).sqrt();
        var up = u.narrow(1, 0, r) * root.unsqueeze(0);            // [out, r]
        var down = root.unsqueeze(1) * vh.narrow(0, 0, r);           // [r, in·kh·kw]
        var norm = linalg.norm(matrix).item<double>();
        var error = norm == 0 ? 0 : linalg.norm(matrix - up.matmul(down)).item<double>() / norm;
        long[] downShape = d.dim() == 4 ? [r, d.shape[1], d.shape[2], d.shape[3]] : [r, d.shape[1]];
        long[] upShape = d.dim() == 4 ? [outDim, r, 1, 1] : [outDim, r];
        return (down.reshape(downShape).to(ScalarType.Float32).contiguous().MoveToOuterDisposeScope(),
                up.reshape(upShape).to(ScalarType.Float32).contiguous().MoveToOuterDisposeScope(), r, error);
    }

    /// <summary>
    /// A1111 reads a layer only when it has a <c>diff</c> or a LoRA pair, so a <c>diff_b</c> needs its weight beside it.
    /// ESD trains a layer's weight and bias together; an edit of a bias alone is refused rather than written unreadable.
    /// </summary>
    private static void RequireEachBiasWithItsWeight(Dictionary<string, Tensor> tensors)
    {
        foreach (var bias in tensors.Keys.Where(k => k.EndsWith(".diff_b", StringComparison.Ordinal)))
        {
            var layer = bias[..^".diff_b".Length];
            if (!tensors.ContainsKey(layer + ".diff") && !tensors.ContainsKey(layer + ".lora_up.weight"))
                throw new InvalidOperationException($"{layer}: the edit changes its bias but not its weight, which hosts need beside it");
        }
    }

    private static bool IsBias(string parameter) => parameter.EndsWith(".bias", StringComparison.Ordinal);
}

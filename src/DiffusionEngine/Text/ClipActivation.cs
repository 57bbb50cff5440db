using static TorchSharp.torch;

namespace DiffusionEngine.Text;

/// <summary>The MLP activations transformers' CLIP configs name in <c>hidden_act</c>.</summary>
public static class ClipActivation
{
    public static Func<Tensor, Tensor> Resolve(string hiddenAct) => hiddenAct switch
    {
        "quick_gelu" => QuickGelu,
        "gelu" => x => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" => x => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        _ => throw new ArgumentException($"unsupported hidden_act '{hiddenAct}'", nameof(hiddenAct)),
    };

    /// <summary>OpenAI CLIP's sigmoid approximation of GELU: x * sigmoid(1.702 x).</summary>
    public static Tensor QuickGelu(Tensor x)
    {
        using var scaled = x * 1.702;
        using var gate = scaled.sigmoid();
        return x * gate;
    }
}

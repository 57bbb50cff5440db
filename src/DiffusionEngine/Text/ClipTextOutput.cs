using static TorchSharp.torch;

namespace DiffusionEngine.Text;

/// <summary>
/// What a CLIP text encoder returns: last_hidden_state [B, L, C] (after the final LayerNorm), the penultimate hidden
/// states [B, L, C] (the last layer's input, no LayerNorm: SDXL's conditioning), and the pooled output [B, C] at the
/// first end token (projected to [B, P] by a model with a projection). Disposing disposes all three.
/// </summary>
public sealed record ClipTextOutput(Tensor LastHiddenState, Tensor PenultimateHiddenState, Tensor Pooled) : IDisposable
{
    public void Dispose()
    {
        LastHiddenState.Dispose();
        PenultimateHiddenState.Dispose();
        Pooled.Dispose();
    }
}

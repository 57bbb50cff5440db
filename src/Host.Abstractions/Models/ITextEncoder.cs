using static TorchSharp.torch;

namespace Host.Abstractions;

/// <summary>The model's text encoder (tokenizer included).</summary>
public interface ITextEncoder
{
    /// <summary>Encodes prompts to the U-Net's conditioning: [B, 77, D] on the model's device and dtype, no gradient.</summary>
    Tensor Encode(IReadOnlyList<string> prompts);
}

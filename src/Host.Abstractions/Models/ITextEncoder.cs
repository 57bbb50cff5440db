namespace Host.Abstractions;

/// <summary>The model's text encoder(s) (tokenizers included).</summary>
public interface ITextEncoder
{
    /// <summary>
    /// Encodes prompts to the denoiser's conditioning, on the model's device and dtype, no gradient: whatever the family
    /// needs (SD 1.x: the hidden states; SDXL: both encoders' penultimate states, the pooled embeddings and the time ids
    /// of the model's default size).
    /// </summary>
    Conditioning Encode(IReadOnlyList<string> prompts);
}

using static TorchSharp.torch;

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

    /// <summary>How many token ids the tokenizer(s) and the encoders' embedding tables know. Added in contract 2.3.</summary>
    int VocabularySize => throw new NotSupportedException("this host's text encoder does not expose its token embeddings");

    /// <summary>The (first) tokenizer's ids of <paramref name="text"/>'s tokens, without start, end or padding. Added in contract 2.3.</summary>
    IReadOnlyList<long> TokenIds(string text) => throw new NotSupportedException("this host's text encoder does not expose its tokenizer");

    /// <summary>
    /// The encoders' input embeddings of token ids <paramref name="ids"/> (int64 [K]): [K, D] on the model's device and
    /// dtype, no gradient; SDXL: both encoders' side by side. Added in contract 2.3.
    /// </summary>
    Tensor EmbedTokens(Tensor ids) => throw new NotSupportedException("this host's text encoder does not expose its token embeddings");

    /// <summary>
    /// The conditioning of <paramref name="prompt"/> with <paramref name="learned"/> [K, D] (as <see cref="EmbedTokens"/>
    /// gives them) as input embeddings right after the start token, before the prompt's own tokens (the prompt loses its
    /// last K positions): learned prompt tokens, as textual inversion and the embedding attacks use. Gradients flow into
    /// <paramref name="learned"/> when enabled. Added in contract 2.3.
    /// </summary>
    Conditioning EncodeWithLearnedTokens(string prompt, Tensor learned) =>
        throw new NotSupportedException("this host's text encoder cannot encode learned tokens");
}

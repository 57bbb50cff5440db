using static TorchSharp.torch;

namespace Host.Abstractions;

/// <summary>
/// What a model's denoiser is conditioned on for a batch of prompts, whatever its family: the text encoders' hidden
/// states [B, tokens, D] and the added conditions the family needs, under diffusers' <c>added_cond_kwargs</c> names
/// (SDXL: <c>text_embeds</c> [B, P], the pooled projection of its second encoder, and <c>time_ids</c> [B, 6]; SD 1.x:
/// none). Plugins pass it along without knowing the family. Disposing disposes the tensors. Added in contract 2.0.
/// </summary>
public sealed class Conditioning : IDisposable
{
    /// <summary>A conditioning of <paramref name="hiddenStates"/> and the <paramref name="added"/> tensors (batch first, same batch).</summary>
    public Conditioning(Tensor hiddenStates, IReadOnlyDictionary<string, Tensor>? added = null)
    {
        ArgumentNullException.ThrowIfNull(hiddenStates);
        HiddenStates = hiddenStates;
        Added = added ?? new Dictionary<string, Tensor>();
        foreach (var (name, t) in Added)
            if (t.dim() < 1 || t.shape[0] != hiddenStates.shape[0])
                throw new ArgumentException($"added condition '{name}' has batch {(t.dim() < 1 ? 0 : t.shape[0])}, the hidden states {hiddenStates.shape[0]}", nameof(added));
    }

    /// <summary>[B, tokens, D] in the model's dtype.</summary>
    public Tensor HiddenStates { get; }

    /// <summary>The family's added conditions by name (empty for SD 1.x).</summary>
    public IReadOnlyDictionary<string, Tensor> Added { get; }

    /// <summary>The batch size B.</summary>
    public long Batch => HiddenStates.shape[0];

    /// <summary>A batch-1 conditioning repeated <paramref name="batch"/> times (views, no copy).</summary>
    public Conditioning Expand(long batch) => new(Repeat(HiddenStates, batch), Added.ToDictionary(kv => kv.Key, kv => Repeat(kv.Value, batch)));

    /// <summary>Conditionings one after the other along the batch (as classifier-free guidance runs [uncond; cond]).</summary>
    public static Conditioning Cat(params Conditioning[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("at least one conditioning is needed", nameof(parts));
        var names = parts[0].Added.Keys.Order(StringComparer.Ordinal).ToList();
        if (parts.Any(p => !p.Added.Keys.Order(StringComparer.Ordinal).SequenceEqual(names)))
            throw new ArgumentException("the conditionings carry different added conditions", nameof(parts));
        return new Conditioning(cat(parts.Select(p => p.HiddenStates).ToList()),
            names.ToDictionary(n => n, n => cat(parts.Select(p => p.Added[n]).ToList())));
    }

    private static Tensor Repeat(Tensor t, long batch)
    {
        var shape = t.shape.ToArray();
        shape[0] = batch;
        return t.shape[0] == batch ? t.alias() : t.expand(shape);
    }

    /// <summary>Disposes the hidden states and every added condition.</summary>
    public void Dispose()
    {
        HiddenStates.Dispose();
        foreach (var t in Added.Values) t.Dispose();
    }
}

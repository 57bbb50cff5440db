namespace DiffusionEngine.SingleFile;

/// <summary>
/// transformers' <c>CLIPTextModelWithProjection</c> names (<c>text_model.*</c>, <c>text_projection.weight</c>) to
/// OpenCLIP's <c>TextTransformer</c> (SDXL's <c>conditioner.embedders.1.model.</c>): resblocks for encoder layers, one
/// fused <c>in_proj_weight</c> [3C, C] = cat(q, k, v) per attention (row slices), <c>positional_embedding</c> and
/// <c>text_projection</c> as bare tensors, the projection stored transposed (<c>pooled @ text_projection</c>).
/// </summary>
internal sealed class OpenClipKeyRules(string component, string prefix) : ComponentKeyRules(component, prefix)
{
    /// <summary>CLIP's contrastive temperature: saved by OpenCLIP, unused for generation.</summary>
    public const string LogitScale = "logit_scale";

    public override TensorSource? SourceOf(string targetName)
    {
        var p = targetName.Split('.');
        return p switch
        {
            ["text_model", "embeddings", "token_embedding", "weight"] => Copied("token_embedding.weight"),
            ["text_model", "embeddings", "position_embedding", "weight"] => Copied("positional_embedding"),
            ["text_model", "final_layer_norm", var param] => Copied($"ln_final.{param}"),
            ["text_projection", "weight"] => new TensorSource(Prefix + "text_projection", new TensorTransform.Transpose()),
            ["text_model", "encoder", "layers", var n, .. var rest] when UNetKeyRules.Index(n) >= 0 => Layer($"transformer.resblocks.{n}", rest),
            _ => null,
        };
    }

    private TensorSource? Layer(string block, string[] rest) => rest switch
    {
        ["layer_norm1", var param] => Copied($"{block}.ln_1.{param}"),
        ["layer_norm2", var param] => Copied($"{block}.ln_2.{param}"),
        ["self_attn", "q_proj", var param] => Fused(block, param, 0),
        ["self_attn", "k_proj", var param] => Fused(block, param, 1),
        ["self_attn", "v_proj", var param] => Fused(block, param, 2),
        ["self_attn", "out_proj", var param] => Copied($"{block}.attn.out_proj.{param}"),
        ["mlp", "fc1", var param] => Copied($"{block}.mlp.c_fc.{param}"),
        ["mlp", "fc2", var param] => Copied($"{block}.mlp.c_proj.{param}"),
        _ => null,
    };

    /// <summary>q, k or v (<paramref name="index"/> 0, 1, 2) of the fused projection (PyTorch's MultiheadAttention layout).</summary>
    private TensorSource? Fused(string block, string param, int index) => param switch
    {
        "weight" => new TensorSource($"{Prefix}{block}.attn.in_proj_weight", new TensorTransform.RowSlice(index, 3)),
        "bias" => new TensorSource($"{Prefix}{block}.attn.in_proj_bias", new TensorTransform.RowSlice(index, 3)),
        _ => null,
    };

    private TensorSource Copied(string key) => TensorSource.Copied(Prefix + key);

    public override bool IsIgnorable(string fileKey) => fileKey == Prefix + LogitScale;
}

using DiffusionEngine.Layers;

namespace DiffusionEngine.Unet;

/// <summary>
/// The subset of diffusers' UNet2DConditionModel config that SD 1.x and SDXL models use, with diffusers'
/// class defaults for absent keys. Fields that are "int or one per block" in diffusers are stored one per
/// down block. Configs asking for features this engine does not build are rejected by <see cref="Load"/>.
/// </summary>
public sealed record UNetConfig
{
    public const string CrossAttnDownBlock = "CrossAttnDownBlock2D";
    public const string DownBlock = "DownBlock2D";
    public const string CrossAttnUpBlock = "CrossAttnUpBlock2D";
    public const string UpBlock = "UpBlock2D";
    public const string CrossAttnMidBlock = "UNetMidBlock2DCrossAttn";

    /// <summary>Where the config came from, for error messages.</summary>
    public string Source { get; init; } = "(built-in defaults)";

    /// <summary>Latent size the model was trained at ([size] or [height, width]); null when the config has none.</summary>
    public IReadOnlyList<int>? SampleSize { get; init; }
    public int InChannels { get; init; } = 4;
    public int OutChannels { get; init; } = 4;
    public bool CenterInputSample { get; init; }
    public bool FlipSinToCos { get; init; } = true;
    public double FreqShift { get; init; }
    public IReadOnlyList<string> DownBlockTypes { get; init; } = [CrossAttnDownBlock, CrossAttnDownBlock, CrossAttnDownBlock, DownBlock];
    /// <summary>"UNetMidBlock2DCrossAttn", or null for no mid block.</summary>
    public string? MidBlockType { get; init; } = CrossAttnMidBlock;
    public IReadOnlyList<string> UpBlockTypes { get; init; } = [UpBlock, CrossAttnUpBlock, CrossAttnUpBlock, CrossAttnUpBlock];
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [320, 640, 1280, 1280];
    /// <summary>Resnets per down block (up blocks have one more).</summary>
    public IReadOnlyList<int> LayersPerBlock { get; init; } = [2, 2, 2, 2];
    public int DownsamplePadding { get; init; } = 1;
    public double MidBlockScaleFactor { get; init; } = 1;
    public double Dropout { get; init; }
    public int NormNumGroups { get; init; } = 32;
    public double NormEps { get; init; } = 1e-5;
    public IReadOnlyList<int> CrossAttentionDim { get; init; } = [1280, 1280, 1280, 1280];
    public IReadOnlyList<int> TransformerLayersPerBlock { get; init; } = [1, 1, 1, 1];
    /// <summary>
    /// Attention heads per down block. diffusers reads them from the misnamed <c>attention_head_dim</c>
    /// (SD 1.x: 8 heads; head size = channels / heads).
    /// </summary>
    public IReadOnlyList<int> AttentionHeads { get; init; } = [8, 8, 8, 8];
    public bool UseLinearProjection { get; init; }
    /// <summary><c>time_embedding_dim</c>; null means 4 x BlockOutChannels[0].</summary>
    public int? TimeEmbeddingDim { get; init; }
    public int ConvInKernel { get; init; } = 3;
    public int ConvOutKernel { get; init; } = 3;

    /// <summary>null, or "text_time" (SDXL: pooled text embeddings and micro-conditioning time ids added to the time embedding).</summary>
    public string? AdditionEmbedType { get; init; }
    /// <summary>Sinusoidal width per time id (SDXL: 256).</summary>
    public int? AdditionTimeEmbedDim { get; init; }
    /// <summary>Input width of <c>add_embedding</c>: the pooled text width plus 6 x <see cref="AdditionTimeEmbedDim"/> (SDXL: 2816).</summary>
    public int? ProjectionClassEmbeddingsInputDim { get; init; }

    public const string TextTimeEmbedding = "text_time";

    /// <summary>Whether the model takes SDXL's added conditions (text_embeds and time_ids).</summary>
    public bool UsesTextTime => AdditionEmbedType == TextTimeEmbedding;

    public int TimeEmbedDim => TimeEmbeddingDim ?? BlockOutChannels[0] * 4;

    public int BlockCount => BlockOutChannels.Count;

    public static UNetConfig Load(string configJsonPath) => FromJson(ConfigJson.Load(configJsonPath));

    public static UNetConfig Parse(string json, string source) => FromJson(ConfigJson.Parse(json, source));

    private static UNetConfig FromJson(ConfigJson j)
    {
        // diffusers itself refuses num_attention_heads (its naming issue #2011) and takes the head count
        // from attention_head_dim; following it, a config that sets it is not a loadable UNet2DConditionModel.
        j.RequireNull("num_attention_heads", "num_attention_heads (diffusers' UNet2DConditionModel raises on it too; heads come from attention_head_dim)");
        j.RequireNull("class_embed_type", "class embeddings");
        j.RequireNull("num_class_embeds", "class embeddings");
        j.RequireFalse("class_embeddings_concat", "concatenated class embeddings");
        var addition = j.NullableString("addition_embed_type", null);
        if (addition is not (null or TextTimeEmbedding))
            throw j.Error("addition_embed_type", $"is \"{addition}\": only \"{TextTimeEmbedding}\" (SDXL) or null is supported");
        j.RequireNull("encoder_hid_dim", "an encoder_hid_proj");
        j.RequireNull("encoder_hid_dim_type", "an encoder_hid_proj");
        j.RequireNull("time_cond_proj_dim", "a timestep condition projection");
        j.RequireNull("time_embedding_act_fn", "an activation after the time embedding");
        j.RequireNull("timestep_post_act", "a post-activation in the time embedding");
        j.RequireNull("reverse_transformer_layers_per_block", "an asymmetric transformer layout");
        j.RequireString("time_embedding_type", "positional", "this time embedding type");
        j.RequireString("resnet_time_scale_shift", "default", "this resnet time-embedding norm");
        j.RequireString("attention_type", "default", "this attention type");
        j.RequireFalse("dual_cross_attention", "dual cross-attention");
        j.RequireFalse("only_cross_attention", "cross-attention-only transformer blocks");
        j.RequireFalse("upcast_attention", "upcast attention");
        string act = j.String("act_fn", "silu");
        if (act is not ("silu" or "swish")) throw j.Error("act_fn", $"is \"{act}\": only \"silu\" (\"swish\") is supported");

        var down = j.StringList("down_block_types", new UNetConfig().DownBlockTypes).Select(StripResPrefix).ToArray();
        int n = down.Length;
        if (j.IsExplicitNull("norm_num_groups"))
            throw j.Error("norm_num_groups", "is null: a U-Net without group norms is not supported");
        if (j.IsExplicitNull("attention_head_dim"))
            throw j.Error("attention_head_dim", "is null: the head count is required");

        var config = new UNetConfig
        {
            Source = j.Source,
            SampleSize = SampleSizeOf(j),
            InChannels = j.Int("in_channels", 4),
            OutChannels = j.Int("out_channels", 4),
            CenterInputSample = j.Bool("center_input_sample", false),
            FlipSinToCos = j.Bool("flip_sin_to_cos", true),
            FreqShift = j.Double("freq_shift", 0),
            DownBlockTypes = down,
            MidBlockType = j.NullableString("mid_block_type", CrossAttnMidBlock),
            UpBlockTypes = j.StringList("up_block_types", new UNetConfig().UpBlockTypes).Select(StripResPrefix).ToArray(),
            BlockOutChannels = j.IntList("block_out_channels", new UNetConfig().BlockOutChannels),
            LayersPerBlock = j.IntPerBlock("layers_per_block", n, 2),
            DownsamplePadding = j.Int("downsample_padding", 1),
            MidBlockScaleFactor = j.Double("mid_block_scale_factor", 1),
            Dropout = j.Double("dropout", 0),
            NormNumGroups = j.Int("norm_num_groups", 32),
            NormEps = j.Double("norm_eps", 1e-5),
            CrossAttentionDim = j.IntPerBlock("cross_attention_dim", n, 1280),
            TransformerLayersPerBlock = j.IntPerBlock("transformer_layers_per_block", n, 1),
            AttentionHeads = j.IntPerBlock("attention_head_dim", n, 8),
            UseLinearProjection = j.Bool("use_linear_projection", false),
            TimeEmbeddingDim = j.NullableInt("time_embedding_dim", null),
            ConvInKernel = j.Int("conv_in_kernel", 3),
            ConvOutKernel = j.Int("conv_out_kernel", 3),
            AdditionEmbedType = addition,
            AdditionTimeEmbedDim = j.NullableInt("addition_time_embed_dim", null),
            ProjectionClassEmbeddingsInputDim = j.NullableInt("projection_class_embeddings_input_dim", null),
        };
        config.Validate();
        return config;
    }

    private static string StripResPrefix(string type) => type.StartsWith("UNetRes", StringComparison.Ordinal) ? type[7..] : type;

    private static IReadOnlyList<int>? SampleSizeOf(ConfigJson j)
    {
        if (!j.Has("sample_size") || j.IsExplicitNull("sample_size")) return null;
        try { return [j.Int("sample_size", 0)]; }
        catch (ModelConfigException) { return j.IntList("sample_size", []); }
    }

    /// <summary>Checks that the fields describe a U-Net this engine can build; throws naming <see cref="Source"/> and the field.</summary>
    public void Validate()
    {
        ModelConfigException Bad(string field, string message) => new($"{Source}: field '{field}' {message}");
        int n = DownBlockTypes.Count;
        void AtMost(string field, IEnumerable<int> values, int limit)
        {
            foreach (var v in values) if (v > limit) throw Bad(field, ConfigLimits.TooLarge(v, limit));
        }
        if (n > ConfigLimits.Blocks) throw Bad("down_block_types", $"has {n} blocks, more than this engine builds ({ConfigLimits.Blocks} at most)");
        AtMost("layers_per_block", LayersPerBlock, ConfigLimits.LayersPerBlock);
        AtMost("transformer_layers_per_block", TransformerLayersPerBlock, ConfigLimits.TransformerLayers);
        AtMost("block_out_channels", BlockOutChannels, ConfigLimits.Channels);
        AtMost("cross_attention_dim", CrossAttentionDim, ConfigLimits.Channels);
        AtMost("attention_head_dim", AttentionHeads, ConfigLimits.Heads);
        AtMost("in_channels", [InChannels], ConfigLimits.InOutChannels);
        AtMost("out_channels", [OutChannels], ConfigLimits.InOutChannels);
        AtMost("time_embedding_dim", [TimeEmbedDim], ConfigLimits.TimeEmbedDim);
        if (UpBlockTypes.Count != n)
            throw Bad("up_block_types", $"has {UpBlockTypes.Count} entries but down_block_types has {n}");
        if (BlockOutChannels.Count != n)
            throw Bad("block_out_channels", $"has {BlockOutChannels.Count} entries but down_block_types has {n}");
        foreach (var (field, list) in new[] { ("layers_per_block", LayersPerBlock), ("cross_attention_dim", CrossAttentionDim),
                     ("transformer_layers_per_block", TransformerLayersPerBlock), ("attention_head_dim", AttentionHeads) })
        {
            if (list.Count != n) throw Bad(field, $"has {list.Count} entries but the model has {n} down blocks");
            if (list.Any(v => v <= 0)) throw Bad(field, $"must be positive, found [{string.Join(", ", list)}]");
        }
        foreach (var t in DownBlockTypes)
            if (t is not (CrossAttnDownBlock or DownBlock))
                throw Bad("down_block_types", $"contains \"{t}\": only {CrossAttnDownBlock} and {DownBlock} are supported");
        foreach (var t in UpBlockTypes)
            if (t is not (CrossAttnUpBlock or UpBlock))
                throw Bad("up_block_types", $"contains \"{t}\": only {CrossAttnUpBlock} and {UpBlock} are supported");
        if (MidBlockType is not (null or CrossAttnMidBlock))
            throw Bad("mid_block_type", $"is \"{MidBlockType}\": only {CrossAttnMidBlock} (or null) is supported");
        if (NormNumGroups <= 0) throw Bad("norm_num_groups", $"must be positive, found {NormNumGroups}");
        foreach (var c in BlockOutChannels)
            if (c <= 0 || c % NormNumGroups != 0)
                throw Bad("block_out_channels", $"value {c} is not a positive multiple of norm_num_groups {NormNumGroups}");
        for (int i = 0; i < n; i++)
            if (AttentionHeads[i] > BlockOutChannels[i])
                throw Bad("attention_head_dim", $"asks for {AttentionHeads[i]} heads in block {i}, which has only {BlockOutChannels[i]} channels");
        if (InChannels <= 0) throw Bad("in_channels", $"must be positive, found {InChannels}");
        if (OutChannels <= 0) throw Bad("out_channels", $"must be positive, found {OutChannels}");
        if (ConvInKernel <= 0 || ConvInKernel % 2 == 0) throw Bad("conv_in_kernel", $"must be a positive odd number, found {ConvInKernel}");
        if (ConvOutKernel <= 0 || ConvOutKernel % 2 == 0) throw Bad("conv_out_kernel", $"must be a positive odd number, found {ConvOutKernel}");
        if (DownsamplePadding < 0) throw Bad("downsample_padding", $"must not be negative, found {DownsamplePadding}");
        if (TimeEmbedDim <= 0) throw Bad("time_embedding_dim", $"must be positive, found {TimeEmbedDim}");
        if (UsesTextTime)
        {
            if (AdditionTimeEmbedDim is not > 0) throw Bad("addition_time_embed_dim", "must be a positive number for addition_embed_type \"text_time\"");
            if (ProjectionClassEmbeddingsInputDim is not > 0)
                throw Bad("projection_class_embeddings_input_dim", "must be a positive number for addition_embed_type \"text_time\"");
            if (ProjectionClassEmbeddingsInputDim <= 6 * AdditionTimeEmbedDim)
                throw Bad("projection_class_embeddings_input_dim", $"({ProjectionClassEmbeddingsInputDim}) must exceed 6 x addition_time_embed_dim ({6 * AdditionTimeEmbedDim}): the rest is the pooled text width");
            AtMost("addition_time_embed_dim", [AdditionTimeEmbedDim.Value], ConfigLimits.TimeEmbedDim);
            AtMost("projection_class_embeddings_input_dim", [ProjectionClassEmbeddingsInputDim.Value], ConfigLimits.TimeEmbedDim);
        }
    }
}

using DiffusionEngine.Layers;

namespace DiffusionEngine.Vae;

/// <summary>
/// diffusers' AutoencoderKL config, with the class defaults for absent keys (SD 1.5's vae/config.json has
/// no scaling_factor: 0.18215).
/// </summary>
public sealed record VaeConfig
{
    public const string DownEncoderBlock = "DownEncoderBlock2D";
    public const string UpDecoderBlock = "UpDecoderBlock2D";

    /// <summary>Where the config came from, for error messages.</summary>
    public string Source { get; init; } = "(built-in defaults)";

    public int InChannels { get; init; } = 3;
    public int OutChannels { get; init; } = 3;
    public IReadOnlyList<string> DownBlockTypes { get; init; } = [DownEncoderBlock];
    public IReadOnlyList<string> UpBlockTypes { get; init; } = [UpDecoderBlock];
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [64];
    public int LayersPerBlock { get; init; } = 1;
    public int LatentChannels { get; init; } = 4;
    public int NormNumGroups { get; init; } = 32;
    /// <summary>Image size the model was trained at ([size] or [height, width]).</summary>
    public IReadOnlyList<int> SampleSize { get; init; } = [32];
    /// <summary>latents = mean * ScalingFactor after encoding; the decoder expects latents / ScalingFactor.</summary>
    public double ScalingFactor { get; init; } = 0.18215;
    /// <summary>diffusers pipelines run such a VAE in float32 even when the rest is float16.</summary>
    public bool ForceUpcast { get; init; } = true;
    public bool UseQuantConv { get; init; } = true;
    public bool UsePostQuantConv { get; init; } = true;
    public bool MidBlockAddAttention { get; init; } = true;

    /// <summary>Spatial factor between image and latent (2 per downsampling block).</summary>
    public int DownscaleFactor => 1 << (BlockOutChannels.Count - 1);

    public static VaeConfig Load(string configJsonPath) => FromJson(ConfigJson.Load(configJsonPath));

    public static VaeConfig Parse(string json, string source) => FromJson(ConfigJson.Parse(json, source));

    private static VaeConfig FromJson(ConfigJson j)
    {
        // These change how latents are normalised around the model; the SD 1.x pipeline applies only scaling_factor.
        j.RequireNull("shift_factor", "a latent shift factor");
        j.RequireNull("latents_mean", "per-channel latent normalisation");
        j.RequireNull("latents_std", "per-channel latent normalisation");
        j.RequireString("norm_type", "group", "this decoder norm type");
        string act = j.String("act_fn", "silu");
        if (act is not ("silu" or "swish")) throw j.Error("act_fn", $"is \"{act}\": only \"silu\" (\"swish\") is supported");

        var defaults = new VaeConfig();
        IReadOnlyList<int> sampleSize = defaults.SampleSize;
        if (!j.IsExplicitNull("sample_size"))
        {
            try { sampleSize = [j.Int("sample_size", 32)]; }
            catch (ModelConfigException) { sampleSize = j.IntList("sample_size", [32]); }
        }
        var config = new VaeConfig
        {
            Source = j.Source,
            InChannels = j.Int("in_channels", 3),
            OutChannels = j.Int("out_channels", 3),
            DownBlockTypes = j.StringList("down_block_types", defaults.DownBlockTypes),
            UpBlockTypes = j.StringList("up_block_types", defaults.UpBlockTypes),
            BlockOutChannels = j.IntList("block_out_channels", defaults.BlockOutChannels),
            LayersPerBlock = j.Int("layers_per_block", 1),
            LatentChannels = j.Int("latent_channels", 4),
            NormNumGroups = j.Int("norm_num_groups", 32),
            SampleSize = sampleSize,
            ScalingFactor = j.Double("scaling_factor", 0.18215),
            ForceUpcast = j.Bool("force_upcast", true),
            UseQuantConv = j.Bool("use_quant_conv", true),
            UsePostQuantConv = j.Bool("use_post_quant_conv", true),
            MidBlockAddAttention = j.Bool("mid_block_add_attention", true),
        };
        config.Validate();
        return config;
    }

    /// <summary>Checks that the fields describe a VAE this engine can build; throws naming <see cref="Source"/> and the field.</summary>
    public void Validate()
    {
        ModelConfigException Bad(string field, string message) => new($"{Source}: field '{field}' {message}");
        int n = BlockOutChannels.Count;
        if (n > ConfigLimits.Blocks) throw Bad("block_out_channels", $"has {n} blocks, more than this engine builds ({ConfigLimits.Blocks} at most)");
        foreach (var c in BlockOutChannels) if (c > ConfigLimits.Channels) throw Bad("block_out_channels", ConfigLimits.TooLarge(c, ConfigLimits.Channels));
        if (LayersPerBlock > ConfigLimits.LayersPerBlock) throw Bad("layers_per_block", ConfigLimits.TooLarge(LayersPerBlock, ConfigLimits.LayersPerBlock));
        if (LatentChannels > ConfigLimits.InOutChannels) throw Bad("latent_channels", ConfigLimits.TooLarge(LatentChannels, ConfigLimits.InOutChannels));
        if (InChannels > ConfigLimits.InOutChannels) throw Bad("in_channels", ConfigLimits.TooLarge(InChannels, ConfigLimits.InOutChannels));
        if (OutChannels > ConfigLimits.InOutChannels) throw Bad("out_channels", ConfigLimits.TooLarge(OutChannels, ConfigLimits.InOutChannels));
        if (DownBlockTypes.Count != n) throw Bad("down_block_types", $"has {DownBlockTypes.Count} entries but block_out_channels has {n}");
        if (UpBlockTypes.Count != n) throw Bad("up_block_types", $"has {UpBlockTypes.Count} entries but block_out_channels has {n}");
        foreach (var t in DownBlockTypes)
            if (t != DownEncoderBlock) throw Bad("down_block_types", $"contains \"{t}\": only {DownEncoderBlock} is supported");
        foreach (var t in UpBlockTypes)
            if (t != UpDecoderBlock) throw Bad("up_block_types", $"contains \"{t}\": only {UpDecoderBlock} is supported");
        if (NormNumGroups <= 0) throw Bad("norm_num_groups", $"must be positive, found {NormNumGroups}");
        foreach (var c in BlockOutChannels)
            if (c <= 0 || c % NormNumGroups != 0)
                throw Bad("block_out_channels", $"value {c} is not a positive multiple of norm_num_groups {NormNumGroups}");
        if (LayersPerBlock <= 0) throw Bad("layers_per_block", $"must be positive, found {LayersPerBlock}");
        if (LatentChannels <= 0) throw Bad("latent_channels", $"must be positive, found {LatentChannels}");
        if (InChannels <= 0) throw Bad("in_channels", $"must be positive, found {InChannels}");
        if (OutChannels <= 0) throw Bad("out_channels", $"must be positive, found {OutChannels}");
        if (!(ScalingFactor > 0) || double.IsInfinity(ScalingFactor)) throw Bad("scaling_factor", $"must be a positive number, found {ScalingFactor}");
    }
}

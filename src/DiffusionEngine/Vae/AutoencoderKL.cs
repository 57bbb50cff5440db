using DiffusionEngine.Layers;
using System.Text.RegularExpressions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Vae;

/// <summary>
/// diffusers' AutoencoderKL: image -> latent distribution (mean used), latent -> image. Parameter names
/// equal diffusers' state_dict keys; <see cref="MapLegacyName"/> accepts files with the old mid-block
/// attention names. Scaling by <see cref="VaeConfig.ScalingFactor"/> is the caller's job.
/// </summary>
public sealed partial class AutoencoderKL : nn.Module
{
    private readonly Encoder encoder;
    private readonly Decoder decoder;
    private readonly Conv2d? quant_conv;
    private readonly Conv2d? post_quant_conv;

    public VaeConfig Config { get; }

    public AutoencoderKL(VaeConfig config) : base(nameof(AutoencoderKL))
    {
        config.Validate();
        Config = config;
        encoder = new Encoder(config);
        decoder = new Decoder(config);
        int latent = config.LatentChannels;
        if (config.UseQuantConv) quant_conv = nn.Conv2d(2 * latent, 2 * latent, 1, device: ModuleBuild.Device);
        if (config.UsePostQuantConv) post_quant_conv = nn.Conv2d(latent, latent, 1, device: ModuleBuild.Device);
        RegisterComponents();
    }

    /// <summary>Mean of the latent distribution: the first latent_channels of quant_conv(encoder(image)); not scaled.</summary>
    /// <param name="image">[B, in_channels, H, W] in [-1, 1], in the module's dtype; H and W multiples of <see cref="VaeConfig.DownscaleFactor"/>.</param>
    /// <returns>[B, latent_channels, H / f, W / f]</returns>
    public Tensor Encode(Tensor image)
    {
        CheckInput(image, Config.InChannels, nameof(image));
        using var scope = NewDisposeScope();
        var moments = encoder.forward(image);
        if (quant_conv is not null) moments = quant_conv.forward(moments);
        // moments = [mean, logvar] along channels
        var mean = moments.narrow(1, 0, Config.LatentChannels).contiguous();
        return scope.MoveToOuter(mean);
    }

    /// <summary>Decodes latents that the caller has already divided by the scaling factor.</summary>
    /// <param name="latents">[B, latent_channels, h, w] in the module's dtype.</param>
    /// <returns>[B, out_channels, h * f, w * f], not clamped.</returns>
    public Tensor Decode(Tensor latents)
    {
        CheckInput(latents, Config.LatentChannels, nameof(latents));
        using var scope = NewDisposeScope();
        var z = post_quant_conv is null ? latents : post_quant_conv.forward(latents);
        return scope.MoveToOuter(decoder.forward(z));
    }

    private void CheckInput(Tensor x, int channels, string name)
    {
        if (x.dim() != 4 || x.shape[1] != channels)
            throw new ArgumentException($"{name} must be [B, {channels}, H, W], got [{string.Join(", ", x.shape)}]", name);
        var dtype = parameters().First().dtype;
        if (x.dtype != dtype) throw new ArgumentException($"{name} has dtype {x.dtype} but the VAE's weights are {dtype}", name);
    }

    /// <summary>
    /// Maps a tensor name of the old diffusers VAE layout (mid-block attention <c>query</c>/<c>key</c>/<c>value</c>/
    /// <c>proj_attn</c>) to the current one (<c>to_q</c>/<c>to_k</c>/<c>to_v</c>/<c>to_out.0</c>); other names are
    /// returned unchanged. For <c>WeightLoader</c>'s rename parameter.
    /// </summary>
    public static string MapLegacyName(string fileName)
    {
        var m = LegacyAttentionName().Match(fileName);
        if (!m.Success) return fileName;
        string renamed = m.Groups["old"].Value switch
        {
            "query" => "to_q",
            "key" => "to_k",
            "value" => "to_v",
            _ => "to_out.0",
        };
        return $"{m.Groups["prefix"].Value}{renamed}.{m.Groups["param"].Value}";
    }

    [GeneratedRegex(@"^(?<prefix>(?:.+\.)?mid_block\.attentions\.\d+\.)(?<old>query|key|value|proj_attn)\.(?<param>weight|bias)$", RegexOptions.CultureInvariant)]
    private static partial Regex LegacyAttentionName();
}

using DiffusionEngine.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Vae;

/// <summary>
/// diffusers' VAE Encoder: conv_in, DownEncoderBlock2Ds (downsampling with padding 0, i.e. pad right/bottom),
/// mid block, GroupNorm, SiLU, conv_out to 2 x latent channels (mean and log-variance). Norm eps 1e-6.
/// </summary>
public sealed class Encoder : nn.Module<Tensor, Tensor>
{
    private const double Eps = 1e-6;
    private readonly Conv2d conv_in;
    private readonly ModuleList<DownEncoderBlock2D> down_blocks;
    private readonly UNetMidBlock2D mid_block;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;

    public Encoder(VaeConfig c) : base(nameof(Encoder))
    {
        var channels = c.BlockOutChannels;
        int n = channels.Count;
        conv_in = nn.Conv2d(c.InChannels, channels[0], 3, stride: 1, padding: 1, device: ModuleBuild.Device);
        var blocks = new DownEncoderBlock2D[n];
        int output = channels[0];
        for (int i = 0; i < n; i++)
        {
            int input = output;
            output = channels[i];
            blocks[i] = new DownEncoderBlock2D(input, output, c.LayersPerBlock, addDownsample: i < n - 1, c.NormNumGroups, Eps, downsamplePadding: 0);
        }
        down_blocks = nn.ModuleList(blocks);
        mid_block = new UNetMidBlock2D(channels[^1], c.NormNumGroups, Eps, c.MidBlockAddAttention);
        conv_norm_out = Norms.GroupNorm(c.NormNumGroups, channels[^1], Eps);
        conv_out = nn.Conv2d(channels[^1], 2 * c.LatentChannels, 3, stride: 1, padding: 1, device: ModuleBuild.Device);
        RegisterComponents();
    }

    /// <param name="image">[B, in_channels, H, W] in [-1, 1]</param>
    /// <returns>[B, 2 x latent_channels, H / f, W / f]</returns>
    public override Tensor forward(Tensor image)
    {
        using var scope = NewDisposeScope();
        var h = conv_in.forward(image);
        foreach (var block in down_blocks) h = block.forward(h);
        h = mid_block.forward(h);
        h = conv_out.forward(nn.functional.silu(conv_norm_out.forward(h)));
        return scope.MoveToOuter(h);
    }
}

using DiffusionEngine.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Vae;

/// <summary>
/// diffusers' VAE Decoder: conv_in, mid block, UpDecoderBlock2Ds (layers_per_block + 1 resnets each),
/// GroupNorm, SiLU, conv_out. Norm eps 1e-6.
/// </summary>
public sealed class Decoder : nn.Module<Tensor, Tensor>
{
    private const double Eps = 1e-6;
    private readonly Conv2d conv_in;
    private readonly UNetMidBlock2D mid_block;
    private readonly ModuleList<UpDecoderBlock2D> up_blocks;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;

    public Decoder(VaeConfig c) : base(nameof(Decoder))
    {
        var reversed = c.BlockOutChannels.Reverse().ToArray();
        int n = reversed.Length;
        conv_in = nn.Conv2d(c.LatentChannels, reversed[0], 3, stride: 1, padding: 1, device: ModuleBuild.Device);
        mid_block = new UNetMidBlock2D(reversed[0], c.NormNumGroups, Eps, c.MidBlockAddAttention);
        var blocks = new UpDecoderBlock2D[n];
        int output = reversed[0];
        for (int i = 0; i < n; i++)
        {
            int prev = output;
            output = reversed[i];
            blocks[i] = new UpDecoderBlock2D(prev, output, c.LayersPerBlock + 1, addUpsample: i < n - 1, c.NormNumGroups, Eps);
        }
        up_blocks = nn.ModuleList(blocks);
        conv_norm_out = Norms.GroupNorm(c.NormNumGroups, c.BlockOutChannels[0], Eps);
        conv_out = nn.Conv2d(c.BlockOutChannels[0], c.OutChannels, 3, stride: 1, padding: 1, device: ModuleBuild.Device);
        RegisterComponents();
    }

    /// <param name="z">[B, latent_channels, h, w] (after post_quant_conv)</param>
    /// <returns>[B, out_channels, h * f, w * f], roughly in [-1, 1], not clamped</returns>
    public override Tensor forward(Tensor z)
    {
        using var scope = NewDisposeScope();
        var h = conv_in.forward(z);
        h = mid_block.forward(h);
        // diffusers runs the up blocks in their parameters' dtype (they may differ from the mid block's).
        h = h.to(up_blocks[0].parameters().First().dtype);
        foreach (var block in up_blocks) h = block.forward(h);
        h = conv_out.forward(nn.functional.silu(conv_norm_out.forward(h)));
        return scope.MoveToOuter(h);
    }
}

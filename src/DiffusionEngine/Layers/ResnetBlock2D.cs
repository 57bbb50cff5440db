using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Layers;

/// <summary>
/// diffusers' ResnetBlock2D with the "default" time-embedding norm: GroupNorm, SiLU, 3x3 conv, plus the
/// projected time embedding (when the block has one), GroupNorm, SiLU, 3x3 conv, added to the input
/// (through a 1x1 conv where the channel count changes), divided by the output scale factor.
/// </summary>
public sealed class ResnetBlock2D : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly GroupNorm norm1;
    private readonly Conv2d conv1;
    private readonly Linear? time_emb_proj;
    private readonly GroupNorm norm2;
    private readonly Dropout dropout;
    private readonly Conv2d conv2;
    private readonly Conv2d? conv_shortcut;
    private readonly double _outputScaleFactor;

    /// <param name="tembChannels">Width of the time embedding; null for blocks without one (the VAE's).</param>
    public ResnetBlock2D(long inChannels, long outChannels, long? tembChannels, long groups, double eps,
        double outputScaleFactor = 1.0, double dropout = 0.0) : base(nameof(ResnetBlock2D))
    {
        norm1 = Norms.GroupNorm(groups, inChannels, eps);
        conv1 = nn.Conv2d(inChannels, outChannels, 3, stride: 1, padding: 1, device: ModuleBuild.Device);
        if (tembChannels is { } t) time_emb_proj = nn.Linear(t, outChannels, device: ModuleBuild.Device);
        norm2 = Norms.GroupNorm(groups, outChannels, eps);
        this.dropout = nn.Dropout(dropout);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, stride: 1, padding: 1, device: ModuleBuild.Device);
        if (inChannels != outChannels) conv_shortcut = nn.Conv2d(inChannels, outChannels, 1, device: ModuleBuild.Device);
        _outputScaleFactor = outputScaleFactor;
        RegisterComponents();
    }

    /// <param name="input">[B, in, H, W]</param>
    /// <param name="temb">[B, temb] time embedding; required when the block was built with one.</param>
    /// <returns>[B, out, H, W]</returns>
    public override Tensor forward(Tensor input, Tensor? temb)
    {
        using var scope = NewDisposeScope();
        var h = conv1.forward(nn.functional.silu(norm1.forward(input)));
        if (time_emb_proj is not null)
        {
            if (temb is null) throw new ArgumentException("this resnet block has a time embedding projection and needs a time embedding", nameof(temb));
            var t = time_emb_proj.forward(nn.functional.silu(temb));
            h = h + t.unsqueeze(-1).unsqueeze(-1);
        }
        h = nn.functional.silu(norm2.forward(h));
        if (training) h = dropout.forward(h);
        h = conv2.forward(h);
        var shortcut = conv_shortcut is null ? input : conv_shortcut.forward(input);
        var output = shortcut + h;
        // Division by 1 is exact, so skipping it changes nothing.
        if (_outputScaleFactor != 1.0) output = output / _outputScaleFactor;
        return scope.MoveToOuter(output);
    }
}

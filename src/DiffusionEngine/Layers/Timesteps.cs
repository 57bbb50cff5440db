using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionEngine.Layers;

/// <summary>
/// diffusers' Timesteps (get_timestep_embedding): sinusoidal embedding of the timestep, always in float32.
/// Frequencies exp(-ln(10000) * i / (half - freqShift)) for i in [0, half); output [sin, cos], or
/// [cos, sin] with flipSinToCos; an odd width gets one zero column.
/// </summary>
public sealed class Timesteps : nn.Module<Tensor, Tensor>
{
    private const double MaxPeriod = 10000;
    private readonly long _channels;
    private readonly bool _flipSinToCos;
    private readonly double _freqShift;

    public Timesteps(long channels, bool flipSinToCos, double freqShift) : base(nameof(Timesteps))
    {
        _channels = channels;
        _flipSinToCos = flipSinToCos;
        _freqShift = freqShift;
    }

    /// <param name="timesteps">[B] (any numeric dtype)</param>
    /// <returns>[B, channels] float32</returns>
    public override Tensor forward(Tensor timesteps)
    {
        if (timesteps.dim() != 1) throw new ArgumentException($"timesteps must be 1-D, got shape [{string.Join(", ", timesteps.shape)}]", nameof(timesteps));
        using var scope = NewDisposeScope();
        long half = _channels / 2;
        // Same operation order as diffusers: float32 arange times -ln(max_period), divided, exponentiated.
        var exponent = arange(0, half, ScalarType.Float32, timesteps.device) * (-Math.Log(MaxPeriod));
        exponent = exponent / (half - _freqShift);
        var freqs = exponent.exp();
        var args = timesteps.unsqueeze(1).to(ScalarType.Float32) * freqs.unsqueeze(0);
        var emb = _flipSinToCos ? cat([args.cos(), args.sin()], -1) : cat([args.sin(), args.cos()], -1);
        if (_channels % 2 == 1) emb = nn.functional.pad(emb, (0, 1, 0, 0), PaddingModes.Constant, 0);
        return scope.MoveToOuter(emb);
    }
}

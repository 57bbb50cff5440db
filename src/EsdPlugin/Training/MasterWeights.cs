using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>
/// The tensors Adam updates. A float32 U-Net trains its live parameters directly. A half-precision one (fp16, bf16)
/// gets float32 master copies of the trained subset, with float32 gradients and optimizer state, written into the
/// live parameters after each step: Adam on fp16 weights underflows (its second moment and eps round to 0), and on
/// bf16 a 1e-5 step is below half a unit of precision for most weights, so nothing would move.
/// fp16 gradients also get a dynamic loss scale (as mixed-precision training does), so small gradients do not
/// flush to zero; a step whose gradients overflow is skipped and the scale halved.
/// </summary>
internal sealed class MasterWeights : IDisposable
{
    private const double InitialFp16Scale = 1024, GrowthFactor = 2, BackoffFactor = 0.5;
    private const int GrowthInterval = 200;

    private readonly IReadOnlyList<(string Name, Parameter Parameter)> _live;
    private readonly List<(string Name, Parameter Parameter)> _masters;
    private readonly bool _scaled;
    private int _goodSteps;

    public MasterWeights(IReadOnlyList<(string Name, Parameter Parameter)> live)
    {
        _live = live;
        Separate = live.Any(t => t.Parameter.dtype != ScalarType.Float32);
        _scaled = live.Any(t => t.Parameter.dtype == ScalarType.Float16);
        LossScale = _scaled ? InitialFp16Scale : 1;
        using var noGrad = no_grad();
        _masters = Separate
            ? live.Select(t => (t.Name, new Parameter(t.Parameter.detach().to(ScalarType.Float32, copy: true), requires_grad: true))).ToList()
            : [.. live];
    }

    /// <summary>Whether the masters are copies (half-precision model) rather than the live parameters themselves.</summary>
    public bool Separate { get; }

    /// <summary>What the optimizer steps and checkpoints hold: float32, by diffusers name.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Masters => _masters;

    /// <summary>The factor the loss is multiplied by before backward (1 unless the model is fp16).</summary>
    public double LossScale { get; private set; }

    /// <summary>Steps skipped because the scaled gradients overflowed.</summary>
    public int SkippedSteps { get; private set; }

    /// <summary>
    /// After backward through the live parameters: moves their gradients, unscaled and in float32, to the masters.
    /// False when they are not finite (the step must be skipped; the scale has been lowered).
    /// </summary>
    public bool TakeGradients()
    {
        if (!Separate) return true;
        bool finite = true;
        using (no_grad())
            for (int i = 0; i < _live.Count; i++)
            {
                var live = _live[i].Parameter;
                var master = _masters[i].Parameter;
                master.grad?.Dispose();
                master.grad = null;
                if (live.grad is not { } g) continue;
                var g32 = g.to(ScalarType.Float32);
                if (_scaled) g32.div_(LossScale);
                live.grad = null;
                g.Dispose();
                if (_scaled && finite && !isfinite(g32).all().item<bool>()) finite = false;
                master.grad = g32;
            }
        if (!_scaled) return true;
        if (!finite)
        {
            foreach (var (_, m) in _masters) { m.grad?.Dispose(); m.grad = null; }
            LossScale *= BackoffFactor;
            _goodSteps = 0;
            SkippedSteps++;
            return false;
        }
        if (++_goodSteps % GrowthInterval == 0) LossScale *= GrowthFactor;
        return true;
    }

    /// <summary>
    /// Frees every gradient (live and master) once a step has used them: between iterations they would only add the
    /// trained subset's size to the teacher passes' and the sampler's memory.
    /// </summary>
    public void ReleaseGradients()
    {
        foreach (var (_, p) in _masters.Concat(Separate ? _live : []))
        {
            p.grad?.Dispose();
            p.grad = null;
        }
    }

    /// <summary>Writes the masters into the live parameters (rounded to their dtype).</summary>
    public void CopyToLive()
    {
        if (!Separate) return;
        using var noGrad = no_grad();
        for (int i = 0; i < _live.Count; i++) _live[i].Parameter.copy_(_masters[i].Parameter);
    }

    /// <summary>The loss-scale state, for a checkpoint (so that a resumed fp16 run scales as the uninterrupted one).</summary>
    public (double Scale, int GoodSteps) ScaleState => (LossScale, _goodSteps);

    public void RestoreScaleState(double scale, int goodSteps)
    {
        if (!_scaled) return;
        if (!(scale > 0) || double.IsInfinity(scale) || goodSteps < 0)
            throw new InvalidDataException($"loss scale {scale} / good steps {goodSteps} is not a valid fp16 scaler state");
        (LossScale, _goodSteps) = (scale, goodSteps);
    }

    public void Dispose()
    {
        if (!Separate) return;
        foreach (var (_, m) in _masters)
        {
            m.grad?.Dispose();
            m.Dispose();
        }
    }
}

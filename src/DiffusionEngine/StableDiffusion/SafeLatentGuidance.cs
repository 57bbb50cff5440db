using static TorchSharp.torch;

namespace DiffusionEngine.StableDiffusion;

/// <summary>
/// One sampling run's safety guidance: turns the three noise predictions of a step (uncond, prompt, concept) into the
/// guidance direction, carrying the momentum from step to step. The element-wise rule and its order are diffusers'
/// <c>StableDiffusionPipelineSafe</c>'s (paper equations 3-8), so the latents match it.
/// </summary>
public sealed class SafeLatentGuidance(SafetyGuidance settings) : IDisposable
{
    private Tensor? _momentum;

    public SafetyGuidance Settings { get; } = settings;

    /// <summary>
    /// The guidance of step <paramref name="stepIndex"/> (0-based), to be scaled by the classifier-free guidance scale
    /// and added to <paramref name="uncond"/>. All [B, C, h, w]; the result belongs to the caller's dispose scope.
    /// </summary>
    public Tensor Guidance(Tensor uncond, Tensor text, Tensor concept, int stepIndex)
    {
        var s = Settings;
        var guidance = text - uncond;
        var momentum = _momentum ?? zeros_like(guidance);
        var away = text - concept;
        var strength = (away.abs() * s.GuidanceScale).clamp_max(1.0);
        // Where the prompt's prediction is already at least the threshold beyond the concept's, nothing is steered.
        var applied = where(away >= s.Threshold, zeros_like(strength), strength);
        var safety = (concept - uncond).mul(applied) + s.MomentumScale * momentum;
        var next = s.MomentumBeta * momentum + (1 - s.MomentumBeta) * safety;
        _momentum?.Dispose();
        _momentum = next.DetachFromDisposeScope();
        return stepIndex >= s.WarmupSteps ? guidance - safety : guidance;
    }

    public void Dispose() => _momentum?.Dispose();
}

namespace DiffusionEngine.Scheduling;

/// <summary>How the training betas are laid out (diffusers' <c>beta_schedule</c>).</summary>
public enum BetaSchedule
{
    /// <summary><c>linear</c>: linspace(beta_start, beta_end, N).</summary>
    Linear,
    /// <summary><c>scaled_linear</c>: linspace(sqrt(beta_start), sqrt(beta_end), N)^2 (Stable Diffusion).</summary>
    ScaledLinear,
    /// <summary><c>squaredcos_cap_v2</c>: the Glide cosine schedule, betas capped at 0.999.</summary>
    SquaredCosCapV2,
}

/// <summary>What the denoiser predicts (diffusers' <c>prediction_type</c>).</summary>
public enum PredictionType
{
    /// <summary><c>epsilon</c>: the added noise (SD 1.x).</summary>
    Epsilon,
    /// <summary><c>sample</c>: the clean sample x0.</summary>
    Sample,
    /// <summary><c>v_prediction</c>: v = sqrt(a) * noise - sqrt(1 - a) * x0.</summary>
    VPrediction,
}

/// <summary>How inference timesteps are spread over the training steps (diffusers' <c>timestep_spacing</c>).</summary>
public enum TimestepSpacing
{
    /// <summary><c>leading</c>: k * (N / steps) + steps_offset, descending (SD 1.x: 981, 961, ..., 1 for 50 steps).</summary>
    Leading,
    /// <summary><c>trailing</c>: round(N - k * N / steps) - 1, descending from N - 1.</summary>
    Trailing,
    /// <summary><c>linspace</c>: round(linspace(0, N - 1, steps)), descending.</summary>
    Linspace,
}

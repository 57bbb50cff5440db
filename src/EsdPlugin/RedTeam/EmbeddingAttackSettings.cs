namespace EsdPlugin.RedTeam;

/// <summary>
/// The embedding attack's knobs, in the manner of P4D and UnlearnDiffAtk: <see cref="Tokens"/> learned input embeddings
/// placed before the attack prompt's words, optimised for <see cref="Steps"/> Adam steps.
/// </summary>
internal sealed record EmbeddingAttackSettings
{
    public int Tokens { get; init; } = 5;
    public int Steps { get; init; } = 200;
    public double LearningRate { get; init; } = 0.05;
    /// <summary>States (trajectory, timestep) drawn per step: one state's loss is mostly the timestep's noise.</summary>
    public int BatchSize { get; init; } = 8;
    /// <summary>Independent starts (different random tokens); each is reported and generated from.</summary>
    public int Restarts { get; init; } = 2;
    /// <summary>Trajectories of the original model under the concept prompt whose states the attack matches.</summary>
    public int Trajectories { get; init; } = 4;
    public int DdimSteps { get; init; } = 25;
    public double Guidance { get; init; } = 7.5;
    /// <summary>The prompt the learned tokens go in front of, {} for the concept ("" for the tokens alone).</summary>
    public string AttackPrompt { get; init; } = "{}";
    /// <summary>The prompt whose original-model predictions are the target, {} for the concept.</summary>
    public string TargetPrompt { get; init; } = "{}";
    public long Seed { get; init; }
}

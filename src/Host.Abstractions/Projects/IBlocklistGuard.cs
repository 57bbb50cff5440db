namespace Host.Abstractions;

/// <summary>
/// A generation guard that enforces project blocklists. A host refuses every generation in a project whose blocklist
/// is not empty unless at least one such guard is registered: no guard, no generation. Added in contract 2.0.
/// </summary>
public interface IBlocklistGuard : IGenerationGuard
{
    /// <summary>
    /// What <see cref="IGenerationGuard.CheckAsync"/> would decide now, without preparing anything (no weights are
    /// swapped): for a host to show whether the live model satisfies a project. Null: this guard cannot tell.
    /// Added in contract 2.1.
    /// </summary>
    Task<GuardDecision?> PreviewAsync(GenerationRequest request, CancellationToken cancellation) => Task.FromResult<GuardDecision?>(null);
}

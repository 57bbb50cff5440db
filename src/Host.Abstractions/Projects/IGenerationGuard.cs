namespace Host.Abstractions;

/// <summary>
/// Consulted before each generation. It may allow it, prepare the model first (e.g. swap in safe weights,
/// under its own exclusive lease) and then allow it, or refuse it with a message the user sees.
/// </summary>
public interface IGenerationGuard
{
    /// <summary>Decides on one generation request.</summary>
    Task<GuardDecision> CheckAsync(GenerationRequest request, CancellationToken cancellation);
}

namespace EsdPlugin.Training;

/// <summary>
/// One training progress update: after an iteration (<see cref="Plan"/> says how its x_t and t were paired), or while
/// a trajectory pool fills (<see cref="Phase"/> says which and how far; <see cref="Iteration"/> is the last one done).
/// </summary>
internal sealed record EsdProgress(int Iteration, int Iterations, float Loss, TimeSpan Elapsed, TimeSpan? Remaining)
{
    public XtPlan Plan { get; init; }

    /// <summary>What is being done between iterations (a pool filling); null after an iteration.</summary>
    public string? Phase { get; init; }

    /// <summary>Of the whole run's work, pool fillings included (they can take minutes before the first iteration).</summary>
    public double Fraction { get; init; }

    public string Describe() => Phase is { } phase
        ? $"{phase} (before iteration {Iteration + 1}/{Iterations})"
        : $"iteration {Iteration}/{Iterations}, loss {Loss:F5}" + (Remaining is { } r ? $", ETA {r:hh\\:mm\\:ss}" : "");
}

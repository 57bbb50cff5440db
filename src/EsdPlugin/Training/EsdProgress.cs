namespace EsdPlugin.Training;

/// <summary>One training progress update; <see cref="Plan"/> says how the iteration's x_t and t were paired.</summary>
internal sealed record EsdProgress(int Iteration, int Iterations, float Loss, TimeSpan Elapsed, TimeSpan? Remaining)
{
    public XtPlan Plan { get; init; }

    public string Describe() =>
        $"iteration {Iteration}/{Iterations}, loss {Loss:F5}" + (Remaining is { } r ? $", ETA {r:hh\\:mm\\:ss}" : "");
}

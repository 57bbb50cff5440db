namespace EsdPlugin.Training;

/// <summary>One training progress update.</summary>
internal sealed record EsdProgress(int Iteration, int Iterations, float Loss, TimeSpan Elapsed, TimeSpan? Remaining)
{
    public string Describe() =>
        $"iteration {Iteration}/{Iterations}, loss {Loss:F5}" + (Remaining is { } r ? $", ETA {r:hh\\:mm\\:ss}" : "");
}

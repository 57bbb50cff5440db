namespace SampleHost.World.Training;

/// <summary>Progress of a training stage: stage name, step, total steps, loss, elapsed time.</summary>
internal sealed record TrainingReport(string Stage, int Step, int Steps, float Loss, TimeSpan Elapsed)
{
    public TimeSpan? Remaining => Step > 0 ? Elapsed * ((double)(Steps - Step) / Step) : null;

    public override string ToString() =>
        $"{Stage} step {Step}/{Steps} loss {Loss:F5} elapsed {Elapsed:hh\\:mm\\:ss}" + (Remaining is { } r ? $" ETA {r:hh\\:mm\\:ss}" : "");
}

namespace ShapesWorld.Training;

/// <summary>Progress of a training stage: stage name, step, total steps, loss, time elapsed in this run.</summary>
public sealed record TrainingReport(string Stage, int Step, int Steps, float Loss, TimeSpan Elapsed, int StartStep = 0)
{
    /// <summary>Estimated from the steps done since this run started (a resumed run started at <see cref="StartStep"/>).</summary>
    public TimeSpan? Remaining => Step > StartStep ? Elapsed * ((double)(Steps - Step) / (Step - StartStep)) : null;

    public override string ToString() =>
        $"{Stage} step {Step}/{Steps} loss {Loss:F5} elapsed {Elapsed:hh\\:mm\\:ss}" + (Remaining is { } r ? $" ETA {r:hh\\:mm\\:ss}" : "");
}

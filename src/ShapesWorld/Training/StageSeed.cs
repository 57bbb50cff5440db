namespace ShapesWorld.Training;

/// <summary>
/// The seed of one training step's draws, so that a resumed stage draws what the uninterrupted one would have.
/// A fixed mix, not HashCode.Combine: that one's seed differs per process.
/// </summary>
public static class StageSeed
{
    public static long For(int seed, int step) => seed * 1_000_003L + step;
}

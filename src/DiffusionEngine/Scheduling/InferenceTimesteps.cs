namespace DiffusionEngine.Scheduling;

/// <summary>
/// The descending inference timesteps of diffusers' DDIMScheduler.set_timesteps, reproducing numpy's
/// float arithmetic (arange's fill, linspace, round-half-to-even) so that every step count gives the
/// same integers as the Python code.
/// </summary>
public static class InferenceTimesteps
{
    public static long[] Compute(TimestepSpacing spacing, int numTrainTimesteps, int steps, int stepsOffset)
    {
        if (steps < 1 || steps > numTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"the number of inference steps must lie in 1..{numTrainTimesteps} (num_train_timesteps)");
        return spacing switch
        {
            TimestepSpacing.Leading => Leading(numTrainTimesteps, steps, stepsOffset),
            TimestepSpacing.Trailing => Trailing(numTrainTimesteps, steps),
            TimestepSpacing.Linspace => Linspace(numTrainTimesteps, steps),
            _ => throw new ArgumentOutOfRangeException(nameof(spacing), spacing, "unknown timestep spacing"),
        };
    }

    // (arange(steps) * (N // steps))[::-1] + steps_offset
    private static long[] Leading(int n, int steps, int offset)
    {
        long ratio = n / steps;
        var t = new long[steps];
        for (int i = 0; i < steps; i++) t[i] = (steps - 1 - i) * ratio + offset;
        return t;
    }

    // round(arange(N, 0, -N / steps)) - 1, with numpy's arange: length ceil((stop - start) / step), values
    // start + i * ((start + step) - start).
    private static long[] Trailing(int n, int steps)
    {
        double step = -((double)n / steps);
        long length = (long)Math.Max(0, Math.Ceiling((0.0 - n) / step));
        var t = new long[length];
        double start = n;
        double delta = (start + step) - start;
        for (long i = 0; i < length; i++)
        {
            double value = i switch { 0 => start, 1 => start + step, _ => start + i * delta };
            t[i] = (long)Math.Round(value, MidpointRounding.ToEven) - 1;
        }
        return t;
    }

    // round(linspace(0, N - 1, steps))[::-1], rounding half to even as numpy does.
    private static long[] Linspace(int n, int steps) =>
        LinspaceUnrounded(n, steps).Select(v => (long)Math.Round(v, MidpointRounding.ToEven)).ToArray();

    /// <summary>linspace(0, N - 1, steps)[::-1] without rounding, as EulerDiscreteScheduler keeps them (floats).</summary>
    /// <remarks>numpy's linspace computes i * ((stop - start) / (num - 1)) + start and sets the last value to stop exactly.</remarks>
    public static double[] LinspaceUnrounded(int n, int steps)
    {
        if (steps < 1 || steps > n) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"the number of inference steps must lie in 1..{n} (num_train_timesteps)");
        var ascending = new double[steps];
        double stop = n - 1;
        if (steps > 1)
        {
            double step = stop / (steps - 1);
            for (int i = 0; i < steps; i++) ascending[i] = i * step;
            ascending[^1] = stop;
        }
        return ascending.Reverse().ToArray();
    }
}

namespace EsdPlugin.Training;

/// <summary>How an iteration's DDIM step count k becomes the x_t it trains on and the timestep t it trains at.</summary>
internal enum TimestepPairing
{
    /// <summary>
    /// The original (CompVis) code: its DDIM schedule drops the noisiest entry, sampling starts there and stops after
    /// the step whose ascending index is k - 1 (so T - 1 - max(k - 1, 0) steps: small k gives an almost clean x_t);
    /// t is drawn from [round(k/T·N), round((k+1)/T·N)), within about two DDIM steps of x_t's noise level.
    /// </summary>
    Paper,
    /// <summary>The 2025 scripts (esd_sd.py / esd_sdxl.py): k steps from the noise, and t is the timestep x_t stopped at.</summary>
    Matched,
}

/// <summary>One iteration's sampling plan: run the DDIM steps at sampling indices [First, First + Count), train at t.</summary>
/// <param name="XtTimestep">The timestep whose noise level x_t carries after those steps (-1: past the last, the final alpha).</param>
internal readonly record struct XtPlan(int K, int First, int Count, long XtTimestep, long Timestep);

internal static class TimestepPairings
{
    public static readonly IReadOnlyList<string> Names = ["paper", "matched"];

    public static string Name(this TimestepPairing p) => Names[(int)p];

    /// <summary>The pairing named <paramref name="name"/>; the caller has checked it is one of <see cref="Names"/>.</summary>
    public static TimestepPairing Parse(string name) => name == "matched" ? TimestepPairing.Matched : TimestepPairing.Paper;

    /// <summary>
    /// The plan for draw k of a T-step schedule <paramref name="timesteps"/> (sampling order, noisiest first) out of
    /// <paramref name="trainTimesteps"/>; the paper pairing draws t from <paramref name="rng"/> (after k was drawn).
    /// </summary>
    public static XtPlan Plan(this TimestepPairing pairing, int k, long[] timesteps, int trainTimesteps, Random rng)
    {
        int T = timesteps.Length;
        if (k < 0 || k >= T) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must lie in 0..{T - 1}");
        long LevelAfter(int lastIndex) => lastIndex + 1 < T ? timesteps[lastIndex + 1] : -1;
        if (pairing == TimestepPairing.Matched)
            return new XtPlan(k, 0, k, timesteps[k], timesteps[k]);

        // Ascending index j is sampling index T - 1 - j; the noisiest (sampling index 0) is never run.
        int stopAscending = Math.Max(k - 1, 0);
        int count = T - 1 - stopAscending;
        int tLow = (int)Math.Round((double)k / T * trainTimesteps), tHigh = (int)Math.Round((double)(k + 1) / T * trainTimesteps);
        long t = rng.Next(tLow, Math.Max(tLow + 1, tHigh));
        return new XtPlan(k, 1, count, count == 0 ? timesteps[0] : LevelAfter(count), t);
    }
}

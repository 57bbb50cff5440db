namespace EsdPlugin.Training;

/// <summary>Which model samples the partially denoised x_t an iteration trains on.</summary>
internal enum XtSource
{
    /// <summary>The model being trained (the paper's algorithm).</summary>
    Trained,
    /// <summary>The frozen original (the authors' later diffusers scripts).</summary>
    Frozen,
}

/// <summary>The names x_t sources go by in commands, defaults files and delta metadata.</summary>
internal static class XtSources
{
    public static readonly IReadOnlyList<string> Names = ["trained", "frozen"];

    public static string Name(this XtSource s) => Names[(int)s];

    /// <summary>The source named <paramref name="name"/>; the caller has checked it is one of <see cref="Names"/>.</summary>
    public static XtSource Parse(string name) => name == "frozen" ? XtSource.Frozen : XtSource.Trained;
}

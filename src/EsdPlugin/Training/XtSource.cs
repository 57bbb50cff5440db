namespace EsdPlugin.Training;

/// <summary>Which model samples the partially denoised x_t an iteration trains on.</summary>
internal enum XtSource
{
    /// <summary>The model being trained (the paper's algorithm).</summary>
    Trained,
    /// <summary>The frozen original (the authors' later diffusers scripts).</summary>
    Frozen,
}

namespace DiffusionEngine.SingleFile;

/// <summary>
/// The rules that name, for each tensor of one diffusers component, its source in a single-file checkpoint. They work
/// from the diffusers name (and the component's block structure), so they hold for any config of the family, not for
/// one file's key list.
/// </summary>
internal abstract class ComponentKeyRules
{
    protected ComponentKeyRules(string component, string prefix)
    {
        Component = component;
        Prefix = prefix;
    }

    /// <summary>The diffusers component ("unet", "vae", "text_encoder", "text_encoder_2").</summary>
    public string Component { get; }

    /// <summary>The prefix of every file key of this component (<see cref="OriginalKeyPrefixes"/>).</summary>
    public string Prefix { get; }

    /// <summary>The source of the diffusers tensor <paramref name="targetName"/>, or null when no rule names one.</summary>
    public abstract TensorSource? SourceOf(string targetName);

    /// <summary>
    /// Whether a file key under <see cref="Prefix"/> that no diffusers tensor reads may be left alone (buffers the
    /// original code saves and diffusers recomputes, such as CLIP's <c>position_ids</c>).
    /// </summary>
    public virtual bool IsIgnorable(string fileKey) => false;
}

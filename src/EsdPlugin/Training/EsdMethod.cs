namespace EsdPlugin.Training;

/// <summary>
/// Which U-Net weights ESD trains (diffusers parameter names). Three families of sets: ours (Linear and Conv2d
/// only, the paper's ESD-u without norms), the 2025 scripts' (esd_sd.py: Linear and Conv2d modules chosen by module
/// name) and the original CompVis code's (every parameter by name, norms included).
/// </summary>
internal enum EsdMethod
{
    /// <summary>ESD-x: every cross-attention (<c>attn2</c>) projection. Erases what a prompt names. Same set in every code.</summary>
    EsdX,
    /// <summary>ESD-x-strict (2025 scripts): only <c>attn2.to_k</c> and <c>attn2.to_v</c>.</summary>
    EsdXStrict,
    /// <summary>ESD-u (ours): the original noxattn set without its norms. Erases globally.</summary>
    EsdU,
    /// <summary>The original code's noxattn: every parameter but cross-attention, the time embedding and the output layers, norms included.</summary>
    EsdUCompVis,
    /// <summary>The 2025 scripts' esd-u: every Linear/Conv2d without <c>attn2</c> (time embedding, conv_in and conv_out included).</summary>
    EsdU2025,
    /// <summary>The 2025 scripts' esd-all: every Linear and Conv2d (ablation).</summary>
    EsdAll,
    /// <summary>The original code's full: every parameter, norms included (ablation).</summary>
    FullCompVis,
    /// <summary>Self-attention (<c>attn1</c>) only (ablation).</summary>
    SelfAttn,
}

internal static class EsdMethods
{
    /// <summary>Canonical names, in <see cref="EsdMethod"/> order: what deltas and defaults files record.</summary>
    public static readonly IReadOnlyList<string> Names =
        ["esd-x", "esd-x-strict", "esd-u", "esd-u-compvis", "esd-u-2025", "esd-all", "esd-full-compvis", "selfattn"];

    /// <summary>The original code's names for its sets.</summary>
    public static readonly IReadOnlyDictionary<string, EsdMethod> Aliases = new Dictionary<string, EsdMethod>
    {
        ["xattn"] = EsdMethod.EsdX, ["noxattn"] = EsdMethod.EsdUCompVis, ["full"] = EsdMethod.FullCompVis,
    };

    /// <summary>Every name a user may type: canonical names, then aliases.</summary>
    public static IReadOnlyList<string> Accepted { get; } = [.. Names, .. Aliases.Keys];

    /// <summary>One line per method for help texts.</summary>
    public const string Help =
        "esd-x (= xattn): attn2 Linear weights; esd-x-strict: attn2.to_k/to_v; esd-u: all Linear/Conv2d but attn2, time_embedding, conv_out " +
        "(no norms); esd-u-compvis (= noxattn): the original code's set, norms included; esd-u-2025: the 2025 scripts' set, every Linear/Conv2d " +
        "but attn2 (time_embedding and conv_out included); esd-all: every Linear/Conv2d; esd-full-compvis (= full): every parameter; " +
        "selfattn: attn1";

    public static string Name(this EsdMethod m) => Names[(int)m];

    public static EsdMethod Parse(string name)
    {
        var key = name.Trim().ToLowerInvariant();
        int i = Names.ToList().IndexOf(key);
        if (i >= 0) return (EsdMethod)i;
        return Aliases.TryGetValue(key, out var alias) ? alias
            : throw new ArgumentException($"unknown ESD method '{name}' (expected {string.Join(", ", Accepted)})");
    }

    /// <summary>Whether the method selects among every parameter (norms too) rather than Linear and Conv2d modules only.</summary>
    public static bool IncludesNorms(this EsdMethod m) => m is EsdMethod.EsdUCompVis or EsdMethod.FullCompVis;

    /// <summary>
    /// Whether the parameter <paramref name="name"/> (of a Linear or Conv2d module, or of any module when the method
    /// <see cref="IncludesNorms"/>) is trained by the method, in a model of <paramref name="family"/> ("sd1", "sdxl").
    /// The 2025 scripts chose SDXL's esd-u and esd-all sets by their own rule (module names with "block" and without
    /// "emb"), so those two follow it there.
    /// </summary>
    public static bool Trains(this EsdMethod m, string name, string family = "sd1") => (m, family) switch
    {
        (EsdMethod.EsdU2025, "sdxl") => !name.Contains("attn2", StringComparison.Ordinal) && !name.Contains("emb", StringComparison.Ordinal)
                                        && name.Contains("block", StringComparison.Ordinal),
        (EsdMethod.EsdAll, "sdxl") => !name.Contains("emb", StringComparison.Ordinal) && name.Contains("block", StringComparison.Ordinal),
        _ => Trains(m, name),
    };

    private static bool Trains(EsdMethod m, string name) => m switch
    {
        EsdMethod.EsdX => name.Contains("attn2", StringComparison.Ordinal),
        EsdMethod.EsdXStrict => name.Contains("attn2.to_k.", StringComparison.Ordinal) || name.Contains("attn2.to_v.", StringComparison.Ordinal),
        // The CompVis noxattn excluded names starting with "out." (conv_norm_out, conv_out) or containing "time_embed"
        // (the time MLP); the resnets' time_emb_proj (CompVis emb_layers) were trained, so no substring test on "time_emb".
        // SDXL's add_embedding (the pooled-text and time-id MLP) is a time embedding too: ours leaves it.
        EsdMethod.EsdU => !name.Contains("attn2", StringComparison.Ordinal)
            && !name.StartsWith("time_embedding.", StringComparison.Ordinal) && !name.StartsWith("time_proj.", StringComparison.Ordinal)
            && !name.StartsWith("add_embedding.", StringComparison.Ordinal)
            && !name.StartsWith("conv_norm_out.", StringComparison.Ordinal) && !name.StartsWith("conv_out.", StringComparison.Ordinal),
        EsdMethod.EsdUCompVis => !name.Contains("attn2", StringComparison.Ordinal)
            && !name.StartsWith("time_embedding.", StringComparison.Ordinal) && !name.StartsWith("time_proj.", StringComparison.Ordinal)
            && !name.StartsWith("conv_norm_out.", StringComparison.Ordinal) && !name.StartsWith("conv_out.", StringComparison.Ordinal),
        EsdMethod.EsdU2025 => !name.Contains("attn2", StringComparison.Ordinal),
        EsdMethod.EsdAll or EsdMethod.FullCompVis => true,
        EsdMethod.SelfAttn => name.Contains("attn1", StringComparison.Ordinal),
        _ => false,
    };
}

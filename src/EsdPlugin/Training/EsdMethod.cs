namespace EsdPlugin.Training;

/// <summary>Which U-Net weights ESD trains (diffusers parameter names; Linear and Conv2d only, never norms).</summary>
internal enum EsdMethod
{
    /// <summary>ESD-x: every cross-attention (<c>attn2</c>) projection. Erases what a prompt names.</summary>
    EsdX,
    /// <summary>ESD-x-strict: only <c>attn2.to_k</c> and <c>attn2.to_v</c>.</summary>
    EsdXStrict,
    /// <summary>ESD-u: everything but cross-attention, the time embedding and the output layers. Erases globally.</summary>
    EsdU,
    /// <summary>All Linear and Conv2d weights (ablation).</summary>
    EsdAll,
    /// <summary>Self-attention (<c>attn1</c>) only (ablation).</summary>
    SelfAttn,
}

internal static class EsdMethods
{
    public static readonly IReadOnlyList<string> Names = ["esd-x", "esd-x-strict", "esd-u", "esd-all", "selfattn"];

    public static string Name(this EsdMethod m) => Names[(int)m];

    public static EsdMethod Parse(string name)
    {
        int i = Names.ToList().IndexOf(name.Trim().ToLowerInvariant());
        return i >= 0 ? (EsdMethod)i : throw new ArgumentException($"unknown ESD method '{name}' (expected {string.Join(", ", Names)})");
    }

    /// <summary>Whether the parameter <paramref name="name"/> of a Linear or Conv2d module is trained by the method.</summary>
    public static bool Trains(this EsdMethod m, string name) => m switch
    {
        EsdMethod.EsdX => name.Contains("attn2", StringComparison.Ordinal),
        EsdMethod.EsdXStrict => name.Contains("attn2.to_k.", StringComparison.Ordinal) || name.Contains("attn2.to_v.", StringComparison.Ordinal),
        // The CompVis "noxattn" excluded time_embed and out.*; the resnets' time_emb_proj are trained, so no
        // substring test on "time_emb".
        EsdMethod.EsdU => !name.Contains("attn2", StringComparison.Ordinal)
            && !name.StartsWith("time_embedding.", StringComparison.Ordinal) && !name.StartsWith("time_proj.", StringComparison.Ordinal)
            && !name.StartsWith("conv_norm_out.", StringComparison.Ordinal) && !name.StartsWith("conv_out.", StringComparison.Ordinal),
        EsdMethod.EsdAll => true,
        EsdMethod.SelfAttn => name.Contains("attn1", StringComparison.Ordinal),
        _ => false,
    };
}

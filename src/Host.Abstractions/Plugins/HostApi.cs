namespace Host.Abstractions;

/// <summary>The version of the plugin contract this assembly defines. Plugins declare the range they support.</summary>
public static class HostApi
{
    /// <summary>Current contract version: a new major version breaks plugins, a new minor one only adds.</summary>
    /// <remarks>
    /// 2.1 added what a front end with menus needs: <see cref="IEditCatalog"/> (a plugin's stored edits, with the
    /// commands that load and delete them), <see cref="GuardDecision.Remedy"/> (the command that would lift a refusal)
    /// and <see cref="IBlocklistGuard.PreviewAsync"/> (whether the live model satisfies a blocklist, without generating).
    /// 2.2 added composed patches at strengths (<see cref="PatchPart"/>, <see cref="IWeightPatches.Apply(IReadOnlyList{PatchPart}, string)"/>).
    /// 2.3 added learned prompt tokens (<see cref="ITextEncoder.EmbedTokens"/>, <see cref="ITextEncoder.EncodeWithLearnedTokens"/>)
    /// and decoding (<see cref="ILoadedModel.DecodeLatents"/>), for attacks that test an erasure.
    /// </remarks>
    public static readonly Version Current = new(2, 3);
}

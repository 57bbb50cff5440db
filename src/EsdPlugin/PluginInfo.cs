namespace EsdPlugin;

/// <summary>Identity of the ESD plugin (matches manifest.json).</summary>
internal static class PluginInfo
{
    public const string Id = "esd";
    public const string Name = "Erase Concepts (ESD)";
}

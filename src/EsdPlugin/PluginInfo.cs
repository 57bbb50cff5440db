namespace EsdPlugin;

/// <summary>Identity of the ESD plugin (matches manifest.json).</summary>
internal static class PluginInfo
{
    public const string Id = "esd";
    public const string Name = "Erase Concepts (ESD)";

    public static string Version { get; } = Informational(typeof(PluginInfo).Assembly);

    private static string Informational(System.Reflection.Assembly assembly)
    {
        var v = System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(assembly)?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        int plus = v.IndexOf('+');
        return plus > 0 ? v[..plus] : v;
    }
}

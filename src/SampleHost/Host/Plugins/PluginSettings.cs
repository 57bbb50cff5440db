using SampleHost.Hosting;

namespace SampleHost.Plugins;

/// <summary>
/// Where the host looks for plugins and which ones it leaves off. Each root holds one folder per plugin
/// (<c>&lt;root&gt;/&lt;Name&gt;/manifest.json</c>).
/// </summary>
public sealed record PluginSettings(IReadOnlyList<string> Roots, IReadOnlySet<string> DisabledIds, string DataFolder)
{
    /// <summary>An extra plugin root searched after the host's own plugins folder.</summary>
    public const string ExtraRootVariable = "STUDIO_PLUGINS_DIR";

    /// <summary>Comma-separated ids of plugins not to load.</summary>
    public const string DisabledVariable = "STUDIO_DISABLED_PLUGINS";

    /// <summary>The host's plugins folder beside its program.</summary>
    public static string BundledRoot => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>plugins/ beside the program, then $STUDIO_PLUGINS_DIR; disabled ids from $STUDIO_DISABLED_PLUGINS.</summary>
    public static PluginSettings FromEnvironment()
    {
        var roots = new List<string> { BundledRoot };
        if (Environment.GetEnvironmentVariable(ExtraRootVariable) is { Length: > 0 } extra) roots.Add(Path.GetFullPath(extra));
        var disabled = (Environment.GetEnvironmentVariable(DisabledVariable) ?? "")
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .ToHashSet(StringComparer.Ordinal);
        return new PluginSettings(roots, disabled, StudioPaths.DataFolder);
    }
}

namespace SampleHost.Plugins;

/// <summary>What became of a plugin the host found.</summary>
public enum PluginStatus
{
    /// <summary>Loaded; its commands are registered.</summary>
    Active,
    /// <summary>Turned off (manifest "enabled": false or STUDIO_DISABLED_PLUGINS); not loaded.</summary>
    Disabled,
    /// <summary>Broken: bad manifest, missing assembly, no entry type, threw while registering, commands not as declared.</summary>
    Malfunctioned,
    /// <summary>Its hostApi range excludes the contract version this host implements; not loaded.</summary>
    NotSupported,
}

public static class PluginStatusText
{
    /// <summary>"active", "disabled", "malfunctioned" or "not supported".</summary>
    public static string Text(this PluginStatus status) => status switch
    {
        PluginStatus.Active => "active",
        PluginStatus.Disabled => "disabled",
        PluginStatus.Malfunctioned => "malfunctioned",
        _ => "not supported",
    };
}

namespace Host.Abstractions;

/// <summary>The version of the plugin contract this assembly defines. Plugins declare the range they support.</summary>
public static class HostApi
{
    /// <summary>Current contract version: a new major version breaks plugins, a new minor one only adds.</summary>
    public static readonly Version Current = new(2, 0);
}

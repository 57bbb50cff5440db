using Host.Abstractions;
using McMaster.NETCore.Plugins;

namespace SampleHost.Plugins;

/// <summary>A plugin the host found: identity (from its manifest, else its folder name), status and why.</summary>
public sealed class PluginRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    /// <summary>The manifest's version, or "" when the manifest could not be read.</summary>
    public required string Version { get; init; }
    public required string Folder { get; init; }
    public required PluginStatus Status { get; init; }
    /// <summary>Why the plugin is not active (null when it is).</summary>
    public string? Reason { get; init; }
    public PluginManifest? Manifest { get; init; }
    /// <summary>Ids of the commands it registered (active plugins only).</summary>
    public IReadOnlyList<string> Commands { get; init; } = [];

    /// <summary>The loader that holds the plugin's assembly load context (active plugins only).</summary>
    internal PluginLoader? Loader { get; init; }
    internal IPlugin? Instance { get; init; }
}

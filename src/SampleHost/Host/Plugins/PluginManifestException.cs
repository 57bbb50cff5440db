namespace SampleHost.Plugins;

/// <summary>A plugin's manifest.json is unreadable or invalid; the message names the file and the field.</summary>
public sealed class PluginManifestException(string message) : Exception(message);

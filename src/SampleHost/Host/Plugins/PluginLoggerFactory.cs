using Microsoft.Extensions.Logging;

namespace SampleHost.Plugins;

/// <summary>
/// The host's logging as a plugin gets it: categories are prefixed with <c>plugins.&lt;id&gt;.</c>, and a plugin
/// can neither add providers nor dispose the host's factory.
/// </summary>
public sealed class PluginLoggerFactory(ILoggerFactory host, string pluginId) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => host.CreateLogger($"plugins.{pluginId}.{categoryName}");

    public void AddProvider(ILoggerProvider provider) =>
        throw new InvalidOperationException("plugins cannot add logging providers; the host configures logging");

    public void Dispose() { }
}

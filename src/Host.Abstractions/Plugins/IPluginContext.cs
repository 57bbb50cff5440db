using Microsoft.Extensions.Logging;

namespace Host.Abstractions;

/// <summary>Everything a plugin may use of its host, and nothing else.</summary>
public interface IPluginContext
{
    /// <summary>The host's product name.</summary>
    string HostName { get; }

    /// <summary>The contract version the host implements.</summary>
    Version ApiVersion { get; }

    /// <summary>The plugin's id from its manifest.</summary>
    string PluginId { get; }

    /// <summary>A folder private to this plugin that persists between sessions (created on first use).</summary>
    string DataFolder { get; }

    /// <summary>Loggers routed to the host's logging.</summary>
    ILoggerFactory Logging { get; }

    /// <summary>Where commands are registered for the host's menus and command line.</summary>
    ICommandRegistry Commands { get; }

    /// <summary>The models the host has loaded.</summary>
    IModelCache Models { get; }

    /// <summary>Projects, their blocklists and generation guards.</summary>
    IProjects Projects { get; }

    /// <summary>Reading and writing tensor files in the host's format.</summary>
    ITensorFiles TensorFiles { get; }
}

using Host.Abstractions;
using Microsoft.Extensions.Logging;

namespace SampleHost.Plugins;

/// <summary>What one plugin gets of the studio (see <see cref="IPluginContext"/>).</summary>
public sealed class PluginContext(
    string pluginId, string dataFolder, ILoggerFactory logging, ICommandRegistry commands, IModelCache models, IProjects projects)
    : IPluginContext
{
    public const string StudioHostName = "studio";

    public string HostName => StudioHostName;
    public Version ApiVersion => HostApi.Current;
    public string PluginId { get; } = pluginId;

    /// <summary>&lt;studio data folder&gt;/plugins/&lt;id&gt;, created when first asked for.</summary>
    public string DataFolder
    {
        get
        {
            Directory.CreateDirectory(dataFolder);
            return dataFolder;
        }
    }

    public ILoggerFactory Logging { get; } = logging;
    public ICommandRegistry Commands { get; } = commands;
    public IModelCache Models { get; } = models;
    public IProjects Projects { get; } = projects;

    public ITensorFiles TensorFiles => SafetensorsFiles.Instance;

    /// <summary>The per-plugin data folder under the studio's data folder.</summary>
    public static string DataFolderFor(string studioDataFolder, string pluginId) =>
        Path.Combine(studioDataFolder, "plugins", pluginId);
}

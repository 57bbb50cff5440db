using DiffusionEngine.IO;
using Host.Abstractions;
using Microsoft.Extensions.Logging;
using SampleHost.Commands;
using SampleHost.LoadedModels;
using SampleHost.Plugins;
using SampleHost.Projects;

namespace SampleHost.Hosting;

/// <summary>
/// The studio's long-lived services: logging, the command registry and runner, the model cache, projects and
/// the plugins (loaded on first need, so verbs that use no plugin never load one).
/// </summary>
public sealed class StudioHost : IDisposable
{
    private readonly Lazy<IReadOnlyList<PluginRecord>> plugins;

    public StudioHost(ILoggerFactory logging, ModelCache models, ProjectService projects, PluginSettings? pluginSettings = null)
    {
        Logging = logging;
        pluginSettings ??= PluginSettings.FromEnvironment();
        // What a killed process left half-written in the data folder (deltas, checkpoints, indexes) goes now.
        if (AtomicFile.RemoveStale(pluginSettings.DataFolder, recursive: true) is > 0 and var removed)
            logging.CreateLogger("studio").LogInformation("removed {Count} stale temporary files from {Folder}", removed, pluginSettings.DataFolder);
        ModelCache = models;
        ProjectService = projects;
        Commands = new CommandRegistry();
        Runner = new CommandRunner(logging.CreateLogger("commands"));
        PluginManager = new PluginManager(pluginSettings, Commands, logging, models, projects);
        plugins = new Lazy<IReadOnlyList<PluginRecord>>(PluginManager.LoadAll);
        projects.WhyNoBlocklistGuard = () =>
        {
            _ = Plugins;
            return PluginManager.WhyNoBlocklistGuard();
        };
    }

    public ILoggerFactory Logging { get; }
    public ModelCache ModelCache { get; }
    public ProjectService ProjectService { get; }
    public IModelCache Models => ModelCache;
    public IProjects Projects => ProjectService;
    public CommandRegistry Commands { get; }
    public CommandRunner Runner { get; }
    public PluginManager PluginManager { get; }

    /// <summary>Every plugin found, loading them on first use.</summary>
    public IReadOnlyList<PluginRecord> Plugins => plugins.Value;

    /// <summary>The menu: the host's own items and every registered command (plugins loaded first).</summary>
    public MenuNode Menu()
    {
        _ = Plugins;
        return MenuTree.Build(HostMenu.Items, Commands.Commands);
    }

    public void Dispose() => PluginManager.Dispose();
}

using EsdPlugin.Deltas;
using Host.Abstractions;
using Microsoft.Extensions.Logging;

namespace EsdPlugin;

/// <summary>What the plugin's commands and guard share: the host context, the delta store and the session's state.</summary>
internal sealed class EsdServices(IPluginContext context)
{
    public IPluginContext Context { get; } = context;
    public ILogger Logger { get; } = context.Logging.CreateLogger("esd");
    public DeltaStore Store { get; } = NewStore(context);
    public string CheckpointFolder => Path.Combine(Context.DataFolder, "checkpoints");

    /// <summary>The stamp of the delta the blocklist guard swapped in for a project (so it can swap it out again).</summary>
    public string? StampLoadedForProject { get; set; }

    private static DeltaStore NewStore(IPluginContext context)
    {
        var logger = context.Logging.CreateLogger("esd");
        return new DeltaStore(Path.Combine(context.DataFolder, "deltas"), context.TensorFiles,
            new DeltaSigner(Path.Combine(context.DataFolder, "keys", "delta-signing.key"), context.TensorFiles),
            problem => logger.LogWarning("{Problem}", problem));
    }
}

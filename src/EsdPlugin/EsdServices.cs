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

    /// <summary>The stamp of the edit the blocklist guard swapped in for a project (so it can swap it out again).</summary>
    public string? StampLoadedForProject { get; set; }

    /// <summary>The compositions this session applied, by the stamp they left on the model (a patch lives only in memory).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, Composition> Applied { get; } = new(StringComparer.Ordinal);

    /// <summary>Loads <paramref name="composition"/> into a model under an exclusive lease and remembers what its stamp stands for.</summary>
    public IReadOnlyList<string> Load(ILoadedModel model, Composition composition)
    {
        var warnings = DeltaLoader.Load(model, Context.TensorFiles, composition);
        Applied[composition.Stamp] = composition;
        return warnings;
    }

    private static DeltaStore NewStore(IPluginContext context)
    {
        var logger = context.Logging.CreateLogger("esd");
        return new DeltaStore(Path.Combine(context.DataFolder, "deltas"), context.TensorFiles,
            new DeltaSigner(Path.Combine(context.DataFolder, "keys", "delta-signing.key"), context.TensorFiles),
            problem => logger.LogWarning("{Problem}", problem));
    }
}

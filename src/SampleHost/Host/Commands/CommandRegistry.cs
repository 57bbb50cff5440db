using Host.Abstractions;
namespace SampleHost.Commands;

/// <summary>
/// Every command the host can run, by unique id. Plugins register through a staging registry
/// (<see cref="Plugins.PluginCommandStaging"/>) whose commands are added here all together, or not at all.
/// </summary>
public sealed class CommandRegistry
{
    private readonly object gate = new();
    private readonly List<RegisteredCommand> commands = [];
    private readonly List<(IEditCatalog Catalog, string Owner)> catalogs = [];

    /// <summary>The plugins' catalogs of stored edits, with the plugin that owns each.</summary>
    public IReadOnlyList<(IEditCatalog Catalog, string Owner)> EditCatalogs
    {
        get { lock (gate) return catalogs.ToArray(); }
    }

    public void AddEditCatalogs(IEnumerable<IEditCatalog> batch, string owner)
    {
        lock (gate) catalogs.AddRange(batch.Select(c => (c, owner)));
    }

    public IReadOnlyList<RegisteredCommand> Commands
    {
        get { lock (gate) return commands.ToArray(); }
    }

    public RegisteredCommand? Find(string id)
    {
        lock (gate) return commands.FirstOrDefault(c => c.Id == id);
    }

    public void Add(RegisteredCommand command) => AddRange([command]);

    /// <summary>Checks every command, then adds them all; on any error (ArgumentException) adds none.</summary>
    public void AddRange(IReadOnlyCollection<RegisteredCommand> batch)
    {
        foreach (var c in batch) CommandValidation.Check(c.Definition);
        lock (gate)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var c in batch)
            {
                if (!seen.Add(c.Id))
                    throw new ArgumentException($"command id '{c.Id}' is registered twice by {c.Owner}");
                if (commands.FirstOrDefault(x => x.Id == c.Id) is { } existing)
                    throw new ArgumentException($"command id '{c.Id}' is already registered by {existing.Owner}");
            }
            commands.AddRange(batch);
        }
    }
}

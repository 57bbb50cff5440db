using Host.Abstractions;
using SampleHost.Commands;

namespace SampleHost.Plugins;

/// <summary>
/// The <see cref="ICommandRegistry"/> a plugin sees while it registers: commands are checked at once (so a bad one
/// throws inside the plugin's Register) and held back until the plugin manager has checked them against the
/// manifest. Once sealed, further registrations are refused: a plugin's commands are fixed at load time.
/// </summary>
public sealed class PluginCommandStaging(string pluginId) : ICommandRegistry
{
    private readonly List<RegisteredCommand> staged = [];
    private bool sealedForLoad;

    private readonly List<IEditCatalog> catalogs = [];

    public IReadOnlyList<RegisteredCommand> Staged => staged;

    /// <summary>The edit catalogs the plugin registered, held back with its commands.</summary>
    public IReadOnlyList<IEditCatalog> StagedCatalogs => catalogs;

    public void Register(CommandDefinition command)
    {
        if (sealedForLoad)
            throw new InvalidOperationException($"plugin '{pluginId}' registered '{command?.Id}' after loading; commands are registered in IPlugin.Register only");
        CommandValidation.Check(command);
        if (staged.Any(c => c.Id == command.Id))
            throw new ArgumentException($"command id '{command.Id}' is registered twice by plugin '{pluginId}'");
        staged.Add(new RegisteredCommand(command, pluginId));
    }

    public void RegisterEditCatalog(IEditCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (sealedForLoad)
            throw new InvalidOperationException($"plugin '{pluginId}' registered an edit catalog after loading; catalogs are registered in IPlugin.Register only");
        catalogs.Add(catalog);
    }

    /// <summary>
    /// The staged catalogs' actions that name no command of this plugin (each: "which action: what it names"); empty
    /// when every catalog's commands are the plugin's own.
    /// </summary>
    public IReadOnlyList<string> CatalogProblems()
    {
        var own = staged.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var catalog in catalogs)
            foreach (var (action, id) in new[] { ("LoadCommand", catalog.LoadCommand), ("DeleteCommand", catalog.DeleteCommand), ("ExportCommand", catalog.ExportCommand) })
                if (id is not null && !own.Contains(id)) problems.Add($"{action} '{id}'");
        return problems;
    }

    public void Seal() => sealedForLoad = true;
}

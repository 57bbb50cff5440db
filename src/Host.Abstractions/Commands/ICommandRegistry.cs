namespace Host.Abstractions;

/// <summary>Registers plugin commands with the host.</summary>
public interface ICommandRegistry
{
    /// <summary>Adds a command. Ids are unique across the host; a duplicate id is an error.</summary>
    void Register(CommandDefinition command);

    /// <summary>
    /// Adds the plugin's catalog of stored edits; its commands must be among the plugin's own. Added in contract 2.1.
    /// </summary>
    void RegisterEditCatalog(IEditCatalog catalog);
}

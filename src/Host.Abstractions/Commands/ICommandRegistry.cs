namespace Host.Abstractions;

/// <summary>Registers plugin commands with the host.</summary>
public interface ICommandRegistry
{
    /// <summary>Adds a command. Ids are unique across the host; a duplicate id is an error.</summary>
    void Register(CommandDefinition command);
}

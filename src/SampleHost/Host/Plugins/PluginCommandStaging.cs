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

    public IReadOnlyList<RegisteredCommand> Staged => staged;

    public void Register(CommandDefinition command)
    {
        if (sealedForLoad)
            throw new InvalidOperationException($"plugin '{pluginId}' registered '{command?.Id}' after loading; commands are registered in IPlugin.Register only");
        CommandValidation.Check(command);
        if (staged.Any(c => c.Id == command.Id))
            throw new ArgumentException($"command id '{command.Id}' is registered twice by plugin '{pluginId}'");
        staged.Add(new RegisteredCommand(command, pluginId));
    }

    public void Seal() => sealedForLoad = true;
}

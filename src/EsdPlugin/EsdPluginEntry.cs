using Host.Abstractions;
using TorchSharp;

namespace EsdPlugin;

/// <summary>The plugin's entry point: registers the ESD commands, the catalog of stored deltas and the blocklist guard.</summary>
public sealed class EsdPluginEntry : IPlugin
{
    public void Register(IPluginContext context)
    {
        var services = new EsdServices(context);
        context.Commands.Register(Commands.EraseConceptCommand.Create(services));
        context.Commands.Register(Commands.LoadEditedModelCommand.Create(services));
        context.Commands.Register(Commands.RestoreOriginalCommand.Create(services));
        context.Commands.Register(Commands.ApplyBlocklistCommand.Create(services));
        context.Commands.Register(Commands.DeleteEditCommand.Create(services));
        context.Commands.Register(Commands.ExportLoraCommand.Create(services));
        context.Commands.Register(Commands.ExportModelCommand.Create(services));
        context.Commands.Register(Commands.TestErasureCommand.Create(services));
        context.Commands.RegisterEditCatalog(new Deltas.EsdEditCatalog(services));
        context.Projects.RegisterGenerationGuard(new Blocklist.BlocklistGuard(services));
        context.Commands.Register(new CommandDefinition
        {
            Id = PluginInfo.Id + ".about",
            Title = "About ESD",
            MenuPath = "Help/About ESD",
            Description = "Shows the plugin's version, the plugin contract version in use and the TorchSharp the host shares.",
            Handler = _ => Task.FromResult(new CommandResult(About(context))),
        });
    }

    private static string About(IPluginContext context) =>
        $"{PluginInfo.Name} {PluginInfo.Version}; " +
        $"plugin contract {context.ApiVersion} (host {context.HostName}); " +
        // typeof(torch) binds through the plugin's load context: it names the TorchSharp the host shares.
        $"TorchSharp {typeof(torch).Assembly.GetName().Version}";
}

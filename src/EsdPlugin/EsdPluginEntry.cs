using System.Reflection;
using Host.Abstractions;
using TorchSharp;

namespace EsdPlugin;

/// <summary>
/// The plugin's entry point: registers the ESD commands. For now only <c>esd.about</c>, which proves the
/// loading path end to end (manifest, shared contract, shared TorchSharp, command registry, runner).
/// </summary>
public sealed class EsdPluginEntry : IPlugin
{
    public void Register(IPluginContext context)
    {
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
        $"{PluginInfo.Name} {Informational(typeof(EsdPluginEntry).Assembly)}; " +
        $"plugin contract {context.ApiVersion} (host {context.HostName}); " +
        // typeof(torch) binds through the plugin's load context: it names the TorchSharp the host shares.
        $"TorchSharp {Informational(typeof(torch).Assembly)}";

    private static string Informational(Assembly assembly)
    {
        var v = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        int plus = v.IndexOf('+');
        return plus > 0 ? v[..plus] : v;
    }
}

using Host.Abstractions;

namespace LiarPlugin;

/// <summary>Registers liar.real only, although its manifest also promises liar.ghost.</summary>
public sealed class LiarPluginEntry : IPlugin
{
    public void Register(IPluginContext context)
    {
        context.Commands.Register(new CommandDefinition
        {
            Id = "liar.real",
            Title = "Real",
            MenuPath = "Tools/Real",
            Handler = _ => Task.FromResult(new CommandResult("real")),
        });
    }
}

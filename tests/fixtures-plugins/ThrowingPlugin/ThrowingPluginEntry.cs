using Host.Abstractions;

namespace ThrowingPlugin;

/// <summary>Fails half way through registering: the command it registered first must not survive.</summary>
public sealed class ThrowingPluginEntry : IPlugin
{
    public void Register(IPluginContext context)
    {
        context.Commands.Register(new CommandDefinition
        {
            Id = "throws.first",
            Title = "First",
            MenuPath = "Tools/Throws first",
            Handler = _ => Task.FromResult(new CommandResult("should never run")),
        });
        throw new InvalidOperationException("fixture failure: the settings file is corrupt");
    }
}

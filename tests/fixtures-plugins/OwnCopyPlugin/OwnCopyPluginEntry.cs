using Host.Abstractions;
using TorchSharp;

namespace OwnCopyPlugin;

/// <summary>Exposes the contract and torch types as this plugin's code binds them, for identity checks.</summary>
public sealed class OwnCopyPluginEntry : IPlugin
{
    public static Type ContractType => typeof(IPlugin);
    public static Type TorchType => typeof(torch);
    public static Type TensorType => typeof(torch.Tensor);

    public void Register(IPluginContext context)
    {
        context.Commands.Register(new CommandDefinition
        {
            Id = "owncopy.where",
            Title = "Where are my types from",
            MenuPath = "Tools/Fixtures/Where are my types from",
            Handler = _ => Task.FromResult(new CommandResult(
                $"IPlugin from {ContractType.Assembly.Location}; torch from {TorchType.Assembly.Location}")),
        });
    }
}

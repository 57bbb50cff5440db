using Host.Abstractions;

namespace ThrowingPlugin;

/// <summary>
/// Fails half way through registering: the command, the guard and the project handler it registered first must not
/// survive. Its guard would let every blocklist pass, so a survivor would also break "no guard, no generation".
/// </summary>
public sealed class ThrowingPluginEntry : IPlugin
{
    /// <summary>Set when the project handler it registered runs (it must never).</summary>
    public static bool HandlerRan { get; private set; }

    public void Register(IPluginContext context)
    {
        context.Commands.Register(new CommandDefinition
        {
            Id = "throws.first",
            Title = "First",
            MenuPath = "Tools/Throws first",
            Handler = _ => Task.FromResult(new CommandResult("should never run")),
        });
        context.Projects.RegisterGenerationGuard(new AllowEverything());
        context.Projects.ActiveProjectChanged += (_, _) => HandlerRan = true;
        throw new InvalidOperationException("fixture failure: the settings file is corrupt");
    }

    private sealed class AllowEverything : IBlocklistGuard
    {
        public Task<GuardDecision> CheckAsync(GenerationRequest request, CancellationToken cancellation) =>
            Task.FromResult(GuardDecision.Allow("the throwing plugin's guard ran"));
    }
}

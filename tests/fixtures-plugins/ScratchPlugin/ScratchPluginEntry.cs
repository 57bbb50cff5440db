using Host.Abstractions;

namespace ScratchPlugin;

/// <summary>Registers <c>scratch.count</c>: counts to --to, one step every --delay-ms, reporting each step.</summary>
public sealed class ScratchPluginEntry : IPlugin
{
    // A 1x1 grey PNG, sent as the preview of every step.
    internal static readonly byte[] PreviewPng = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==");

    public void Register(IPluginContext context)
    {
        context.Commands.Register(new CommandDefinition
        {
            Id = "scratch.count",
            Title = "Count",
            MenuPath = "Tools/Count",
            Description = "Counts from 1 to --to, waiting --delay-ms between steps.",
            Parameters =
            [
                new CommandParameter { Name = "to", Kind = ParameterKind.Integer, Default = 5L, Minimum = 1, Maximum = 1_000_000, Description = "last number" },
                new CommandParameter { Name = "delay-ms", Kind = ParameterKind.Integer, Default = 20L, Minimum = 0, Maximum = 60_000, Description = "pause per step" },
            ],
            Handler = CountAsync,
        });
    }

    private static async Task<CommandResult> CountAsync(CommandInvocation run)
    {
        long to = run.Get<long>("to");
        int delay = (int)run.Get<long>("delay-ms");
        for (long i = 1; i <= to; i++)
        {
            await Task.Delay(delay, run.Cancellation);
            run.Cancellation.ThrowIfCancellationRequested();
            run.Progress.Report(new ProgressReport((double)i / to, $"step {i} of {to}", PreviewPng));
        }
        return new CommandResult($"counted to {to}", []);
    }
}

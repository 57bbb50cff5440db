using Host.Abstractions;
using Microsoft.Extensions.Logging;

namespace SampleHost.Commands;

/// <summary>Validates a command's arguments and runs its handler with progress and cancellation.</summary>
public sealed class CommandRunner(ILogger logger)
{
    /// <summary>
    /// Runs <paramref name="command"/> with the raw <c>--name value</c> texts in <paramref name="given"/>.
    /// Never throws for the command's own failures: they come back as the outcome.
    /// </summary>
    public async Task<CommandOutcome> RunAsync(RegisteredCommand command, IReadOnlyDictionary<string, string> given,
        IProgress<ProgressReport> progress, CancellationToken cancel)
    {
        IReadOnlyDictionary<string, object?> arguments;
        try { arguments = CommandArguments.Bind(command.Definition, given); }
        catch (CommandArgumentException e) { return new(CommandOutcomeKind.InvalidArguments, null, e.Message); }
        catch (Exception e)
        {
            // A parameter's own Validate threw: that is the plugin's fault, not the user's.
            logger.LogError(e, "validating the arguments of {Command} failed", command.Id);
            return new(CommandOutcomeKind.Failed, null, $"validating the arguments of {command.Id} failed: {e.Message}");
        }

        if (cancel.IsCancellationRequested) return new(CommandOutcomeKind.Cancelled, null, "cancelled before it started");

        var invocation = new CommandInvocation { Arguments = arguments, Progress = progress, Cancellation = cancel };
        logger.LogInformation("running {Command} ({Owner})", command.Id, command.Owner);
        try
        {
            // Off the caller's thread: a handler that works synchronously before its first await must not block it.
            var result = await Task.Run(() => command.Definition.Handler(invocation), CancellationToken.None);
            if (result is null) return new(CommandOutcomeKind.Failed, null, $"{command.Id} returned no result");
            logger.LogInformation("{Command} finished: {Message}", command.Id, result.Message);
            return new(CommandOutcomeKind.Succeeded, result, null);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            logger.LogInformation("{Command} cancelled", command.Id);
            return new(CommandOutcomeKind.Cancelled, null, $"{command.Id} was cancelled");
        }
        catch (Exception e)
        {
            logger.LogError(e, "{Command} failed", command.Id);
            return new(CommandOutcomeKind.Failed, null, $"{command.Id} failed: {e.Message}");
        }
    }
}

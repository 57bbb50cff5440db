using Host.Abstractions;

namespace SampleHost.Commands;

/// <summary>How a command run ended.</summary>
public enum CommandOutcomeKind
{
    Succeeded,
    /// <summary>The arguments were wrong; the handler never ran.</summary>
    InvalidArguments,
    Cancelled,
    /// <summary>The handler threw (or returned no result).</summary>
    Failed,
}

/// <summary>The end of a command run: its kind, the handler's result when it succeeded, else what went wrong.</summary>
public sealed record CommandOutcome(CommandOutcomeKind Kind, CommandResult? Result, string? Error)
{
    /// <summary>The process exit code for this outcome: 0, 2 (bad parameters), 130 (cancelled), 1 (failed).</summary>
    public int ExitCode => Kind switch
    {
        CommandOutcomeKind.Succeeded => 0,
        CommandOutcomeKind.InvalidArguments => 2,
        CommandOutcomeKind.Cancelled => 130,
        _ => 1,
    };
}

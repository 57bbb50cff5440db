namespace Host.Abstractions;

/// <summary>A command a plugin offers: shown in the host's menus and runnable from its command line.</summary>
public sealed class CommandDefinition
{
    /// <summary>Stable namespaced id, e.g. <c>esd.erase-concept</c>.</summary>
    public required string Id { get; init; }

    /// <summary>What the user sees, e.g. <c>Erase concept…</c>.</summary>
    public required string Title { get; init; }

    /// <summary>Menu path with '/' between levels, e.g. <c>Models/Erase concept…</c>.</summary>
    public required string MenuPath { get; init; }

    /// <summary>One or two sentences for help screens.</summary>
    public string Description { get; init; } = "";

    /// <summary>Typed parameters, validated by the host before the handler runs.</summary>
    public IReadOnlyList<CommandParameter> Parameters { get; init; } = [];

    /// <summary>Runs the command. Reports progress, honours cancellation, returns what it produced.</summary>
    public required Func<CommandInvocation, Task<CommandResult>> Handler { get; init; }
}

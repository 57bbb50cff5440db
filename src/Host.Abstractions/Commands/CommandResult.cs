namespace Host.Abstractions;

/// <summary>What a command produced: a message for the user and the files it wrote.</summary>
public sealed record CommandResult(string Message, IReadOnlyList<string> Files)
{
    /// <summary>A result with a message and no files.</summary>
    public CommandResult(string message) : this(message, []) { }
}

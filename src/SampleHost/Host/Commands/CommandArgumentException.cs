namespace SampleHost.Commands;

/// <summary>The arguments given to a command are wrong; the message names the parameter and what it expects.</summary>
public sealed class CommandArgumentException(string message) : Exception(message);

namespace SampleHost.Cli;

/// <summary>The command line is wrong: the message says what to change; the verb's help is shown with it.</summary>
internal sealed class UsageException(string message) : Exception(message);

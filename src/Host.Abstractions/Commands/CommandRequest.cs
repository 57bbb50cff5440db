namespace Host.Abstractions;

/// <summary>
/// A command to run with its arguments as a user would type them (<c>--name value</c> texts, by parameter name):
/// what a host offers as a button, e.g. the remedy of a refused generation. Added in contract 2.1.
/// </summary>
public sealed record CommandRequest(string CommandId, IReadOnlyDictionary<string, string> Arguments);

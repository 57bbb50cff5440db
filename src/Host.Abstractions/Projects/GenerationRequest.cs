namespace Host.Abstractions;

/// <summary>What is about to be generated, and where.</summary>
public sealed record GenerationRequest(string ModelFolder, IReadOnlyList<string> Prompts, IProject? Project);

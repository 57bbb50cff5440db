namespace SampleHost.Projects;

/// <summary>The contents of a project.json, as written (paths relative to the project folder stay relative).</summary>
public sealed record ProjectSettings(string Name, string? BaseModel, IReadOnlyList<string> Blocklist, string? OutputFolder);

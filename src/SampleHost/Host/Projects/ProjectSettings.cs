using Newtonsoft.Json.Linq;

namespace SampleHost.Projects;

/// <summary>
/// The contents of a project.json, as written (paths relative to the project folder stay relative).
/// <see cref="Extra"/> keeps fields this version does not know, so that rewriting the file keeps them.
/// </summary>
public sealed record ProjectSettings(string Name, string? BaseModel, IReadOnlyList<string> Blocklist, string? OutputFolder)
{
    public IReadOnlyDictionary<string, JToken> Extra { get; init; } = new Dictionary<string, JToken>();
}

using Host.Abstractions;

namespace SampleHost.Commands;

/// <summary>A command in the host's registry and who registered it (a plugin id).</summary>
public sealed record RegisteredCommand(CommandDefinition Definition, string Owner)
{
    public string Id => Definition.Id;
}

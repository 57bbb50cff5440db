namespace SampleHost.Cli;

/// <summary>One named option of a verb: <c>--name value</c>, or a flag <c>--name</c>.</summary>
internal sealed record OptionSpec(string Name, string Description, string? Default = null, bool IsFlag = false, bool Required = false, bool Repeatable = false);

/// <summary>A positional argument of a verb.</summary>
internal sealed record ArgumentSpec(string Name, string Description, bool Required = true);

/// <summary>A command-line verb ("model inspect", "generate", ...): its syntax and its handler.</summary>
internal sealed class Verb
{
    public required string Name { get; init; }
    public required string Description { get; init; }
    public IReadOnlyList<ArgumentSpec> Arguments { get; init; } = [];
    public IReadOnlyList<OptionSpec> Options { get; init; } = [];
    /// <summary>Accept <c>--anything value</c> beyond the declared options (plugin command parameters).</summary>
    public bool AllowExtraOptions { get; init; }
    public required Func<ParsedArgs, CancellationToken, Task<int>> Handler { get; init; }
}

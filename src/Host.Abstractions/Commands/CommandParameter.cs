namespace Host.Abstractions;

/// <summary>A typed parameter of a command, with its default and validation.</summary>
public sealed class CommandParameter
{
    /// <summary>Name as typed on a command line (<c>--iterations</c>) and key in <see cref="CommandInvocation.Arguments"/>.</summary>
    public required string Name { get; init; }

    /// <summary>The value's type.</summary>
    public required ParameterKind Kind { get; init; }

    /// <summary>What the parameter means, for help screens.</summary>
    public string Description { get; init; } = "";

    /// <summary>The value when none is given, already of the kind's type; null means none.</summary>
    public object? Default { get; init; }

    /// <summary>When true, the command refuses to run without a value.</summary>
    public bool Required { get; init; }

    /// <summary>Allowed values for <see cref="ParameterKind.Choice"/>.</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>Inclusive bounds for numbers.</summary>
    public double? Minimum { get; init; }

    /// <summary>Inclusive bounds for numbers.</summary>
    public double? Maximum { get; init; }

    /// <summary>Extra validation of a parsed value: returns an error message, or null when valid.</summary>
    public Func<object, string?>? Validate { get; init; }
}

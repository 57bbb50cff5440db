namespace Host.Abstractions;

/// <summary>The type of a command parameter's value.</summary>
public enum ParameterKind
{
    /// <summary>Free text (<see cref="string"/>).</summary>
    Text,
    /// <summary>A whole number (<see cref="long"/>).</summary>
    Integer,
    /// <summary>A real number (<see cref="double"/>).</summary>
    Number,
    /// <summary>True or false (<see cref="bool"/>).</summary>
    Flag,
    /// <summary>A comma-separated list of texts (<see cref="IReadOnlyList{T}"/> of string).</summary>
    TextList,
    /// <summary>One of <see cref="CommandParameter.Choices"/> (<see cref="string"/>).</summary>
    Choice,
    /// <summary>A file or folder path (<see cref="string"/>).</summary>
    Path,
}

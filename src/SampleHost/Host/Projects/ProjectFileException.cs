namespace SampleHost.Projects;

/// <summary>
/// A project file that cannot be used: missing, unreadable, not JSON, or a field of the wrong kind.
/// Names the file and, where known, the line, position and field.
/// </summary>
public sealed class ProjectFileException : Exception
{
    public ProjectFileException(string file, string problem, int? line = null, int? position = null, string? field = null, Exception? inner = null)
        : base(Describe(file, problem, line, position, field), inner)
    {
        File = file;
        Problem = problem;
        Line = line;
        Position = position;
        Field = field;
    }

    public string File { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }

    /// <summary>1-based line, when the problem is at a place in the text.</summary>
    public int? Line { get; }

    /// <summary>1-based character position in <see cref="Line"/>.</summary>
    public int? Position { get; }

    /// <summary>The JSON field concerned (e.g. <c>blocklist</c> or <c>blocklist[2]</c>).</summary>
    public string? Field { get; }

    private static string Describe(string file, string problem, int? line, int? position, string? field)
    {
        var where = line is { } l ? position is { } p ? $"line {l}, position {p}: " : $"line {l}: " : "";
        var what = field is { Length: > 0 } ? $"field '{field}': " : "";
        return $"{file}: {where}{what}{problem}";
    }
}

namespace ElfCompat;

/// <summary>The file is not the ELF layout this tool understands (names the file and what was wrong).</summary>
public sealed class ElfFormatException(string path, string problem)
    : Exception($"{path}: {problem}")
{
    public string FilePath { get; } = path;
}

using Host.Abstractions;

namespace SampleHost.Projects;

/// <summary>An opened project: its folder and settings, with paths resolved against the folder.</summary>
public sealed class Project : IProject
{
    /// <summary>Where generated images go when project.json does not say.</summary>
    public const string DefaultOutputFolder = "outputs";

    public Project(string folder, ProjectSettings settings)
    {
        Folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        Settings = settings;
    }

    public string Folder { get; }

    public ProjectSettings Settings { get; }

    public string Name => Settings.Name;

    /// <summary>The base model folder as a full path (relative settings are relative to the project folder), or null.</summary>
    public string? BaseModel => Settings.BaseModel is { Length: > 0 } m ? Path.GetFullPath(Path.Combine(Folder, m)) : null;

    /// <summary>Where generated images go, as a full path.</summary>
    public string OutputFolder => Path.GetFullPath(Path.Combine(Folder, Settings.OutputFolder is { Length: > 0 } o ? o : DefaultOutputFolder));

    public IReadOnlyList<string> Blocklist => Settings.Blocklist;

    public string FilePath => ProjectFile.PathIn(Folder);
}

namespace Host.Abstractions;

/// <summary>The host's projects as a plugin sees them.</summary>
public interface IProjects
{
    /// <summary>The open project, or null when none is.</summary>
    IProject? Active { get; }

    /// <summary>Raised after a project is opened (or closed: <see cref="ProjectChangedEventArgs.Project"/> null).</summary>
    event EventHandler<ProjectChangedEventArgs>? ActiveProjectChanged;

    /// <summary>Raised after the open project's blocklist changes.</summary>
    event EventHandler<ProjectChangedEventArgs>? BlocklistChanged;

    /// <summary>Adds a guard consulted before every generation.</summary>
    void RegisterGenerationGuard(IGenerationGuard guard);
}

namespace Host.Abstractions;

/// <summary>The project concerned by a project event (null when a project was closed).</summary>
public sealed class ProjectChangedEventArgs(IProject? project) : EventArgs
{
    /// <summary>The project now open, or null.</summary>
    public IProject? Project { get; } = project;
}

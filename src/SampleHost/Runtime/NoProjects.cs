using Host.Abstractions;

namespace SampleHost.Runtime;

/// <summary>Stands in for projects until this build has them: every use says so.</summary>
internal sealed class NoProjects : IProjects
{
    private static InvalidOperationException Missing() => new("no projects in this build yet");

    public IProject? Active => throw Missing();

    public event EventHandler<ProjectChangedEventArgs>? ActiveProjectChanged
    {
        add => throw Missing();
        remove => throw Missing();
    }

    public event EventHandler<ProjectChangedEventArgs>? BlocklistChanged
    {
        add => throw Missing();
        remove => throw Missing();
    }

    public void RegisterGenerationGuard(IGenerationGuard guard) => throw Missing();
}

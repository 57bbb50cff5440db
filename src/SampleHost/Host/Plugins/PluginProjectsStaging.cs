using Host.Abstractions;

namespace SampleHost.Plugins;

/// <summary>
/// The <see cref="IProjects"/> a plugin sees: what it registers inside <c>Register</c> (guards, project event handlers)
/// is held back and handed to the host's projects only when the whole registration succeeded, so a plugin whose
/// Register throws half way leaves nothing behind. After that, calls go straight through.
/// </summary>
public sealed class PluginProjectsStaging(IProjects projects) : IProjects
{
    private readonly List<IGenerationGuard> _guards = [];
    private readonly List<EventHandler<ProjectChangedEventArgs>> _activeChanged = [], _blocklistChanged = [];
    private bool _committed;

    public IProject? Active => projects.Active;

    public event EventHandler<ProjectChangedEventArgs>? ActiveProjectChanged
    {
        add { if (value is null) return; if (_committed) projects.ActiveProjectChanged += value; else _activeChanged.Add(value); }
        remove { if (value is null) return; if (_committed) projects.ActiveProjectChanged -= value; else _activeChanged.Remove(value); }
    }

    public event EventHandler<ProjectChangedEventArgs>? BlocklistChanged
    {
        add { if (value is null) return; if (_committed) projects.BlocklistChanged += value; else _blocklistChanged.Add(value); }
        remove { if (value is null) return; if (_committed) projects.BlocklistChanged -= value; else _blocklistChanged.Remove(value); }
    }

    public void RegisterGenerationGuard(IGenerationGuard guard)
    {
        ArgumentNullException.ThrowIfNull(guard);
        if (_committed) projects.RegisterGenerationGuard(guard);
        else _guards.Add(guard);
    }

    /// <summary>Hands everything held back to the host's projects (the plugin loaded).</summary>
    public void Commit()
    {
        if (_committed) return;
        _committed = true;
        foreach (var g in _guards) projects.RegisterGenerationGuard(g);
        foreach (var h in _activeChanged) projects.ActiveProjectChanged += h;
        foreach (var h in _blocklistChanged) projects.BlocklistChanged += h;
        Discard();
    }

    /// <summary>Drops everything held back (the plugin failed to load).</summary>
    public void Discard()
    {
        _guards.Clear();
        _activeChanged.Clear();
        _blocklistChanged.Clear();
    }
}

using Host.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SampleHost.Projects;

/// <summary>
/// The host's projects: the open project, its blocklist edits (saved to project.json at once), and the
/// generation guards plugins register, consulted in registration order before each generation.
/// </summary>
public sealed class ProjectService(ILogger<ProjectService>? logger = null) : IProjects
{
    private readonly ILogger _log = logger ?? (ILogger)NullLogger.Instance;
    private readonly object _gate = new();
    private readonly List<IGenerationGuard> _guards = [];
    private Project? _active;

    public IProject? Active => ActiveProject;

    public Project? ActiveProject { get { lock (_gate) return _active; } }

    public event EventHandler<ProjectChangedEventArgs>? ActiveProjectChanged;

    public event EventHandler<ProjectChangedEventArgs>? BlocklistChanged;

    public IReadOnlyList<IGenerationGuard> Guards { get { lock (_gate) return _guards.ToArray(); } }

    /// <summary>Says why no blocklist guard is registered (the host sets it from its plugins' statuses).</summary>
    public Func<string>? WhyNoBlocklistGuard { get; set; }

    /// <summary>Writes a new project.json in <paramref name="folder"/> (created if needed); refuses to replace an existing one.</summary>
    public static Project Create(string folder, ProjectSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (string.IsNullOrWhiteSpace(settings.Name)) throw new ArgumentException("a project needs a name", nameof(settings));
        var path = ProjectFile.PathIn(folder);
        if (File.Exists(path)) throw new ProjectFileException(path, "a project already exists here");
        try { ProjectFile.Write(folder, settings with { Name = settings.Name.Trim() }, overwrite: false); }
        catch (IOException) when (File.Exists(path)) { throw new ProjectFileException(path, "a project already exists here"); }
        return new Project(folder, ProjectFile.Read(folder));
    }

    /// <summary>Reads <paramref name="folder"/>'s project.json and makes it the open project.</summary>
    public Project Open(string folder)
    {
        DiffusionEngine.IO.AtomicFile.RemoveStale(folder, recursive: false);
        var project = new Project(folder, ProjectFile.Read(folder));
        lock (_gate) _active = project;
        _log.LogInformation("opened project '{Name}' in {Folder}", project.Name, project.Folder);
        ActiveProjectChanged?.Invoke(this, new ProjectChangedEventArgs(project));
        return project;
    }

    public void Close()
    {
        lock (_gate)
        {
            if (_active is null) return;
            _active = null;
        }
        ActiveProjectChanged?.Invoke(this, new ProjectChangedEventArgs(null));
    }

    /// <summary>
    /// Adds a concept to the open project's blocklist and saves it. The file is read again first, so that
    /// edits made outside are kept (and a damaged file is refused, never overwritten).
    /// Returns false, changing nothing, when the concept is already blocked in any spelling.
    /// </summary>
    public bool Block(string concept) => Edit(concept, add: true);

    /// <summary>Removes a concept (any spelling) from the open project's blocklist; false when it is not there.</summary>
    public bool Unblock(string concept) => Edit(concept, add: false);

    public void RegisterGenerationGuard(IGenerationGuard guard)
    {
        ArgumentNullException.ThrowIfNull(guard);
        lock (_gate) _guards.Add(guard);
    }

    /// <summary>
    /// Asks every guard, in registration order. The first refusal wins and its message is returned; a guard
    /// that fails (throws, or answers nothing) refuses, since guards enforce what must not be generated.
    /// When all allow, their messages (if any) are joined.
    /// </summary>
    /// <summary>
    /// Whether a generation in <paramref name="project"/> would be allowed now, as the blocklist guards preview it
    /// (nothing is prepared or swapped): null when no guard can tell; a refusal when a blocklist has no guard at all.
    /// </summary>
    public async Task<GuardDecision?> PreviewBlocklistAsync(string modelFolder, IProject project, CancellationToken cancellation = default)
    {
        var blocklistGuards = Guards.OfType<IBlocklistGuard>().ToList();
        if (project.Blocklist.Any(c => c.Trim().Length > 0) && blocklistGuards.Count == 0)
            return GuardDecision.Refuse($"project '{project.Name}' blocks {BlocklistConcepts.Describe(project.Blocklist)}, but nothing enforces it: " +
                (WhyNoBlocklistGuard?.Invoke() ?? "no blocklist guard is registered"));
        var request = new GenerationRequest(modelFolder, [], project);
        var notes = new List<string>();
        foreach (var guard in blocklistGuards)
        {
            var decision = await guard.PreviewAsync(request, cancellation).ConfigureAwait(false);
            if (decision is null) return null;
            if (!decision.Allowed) return decision;
            if (decision.Message is { Length: > 0 } note) notes.Add(note);
        }
        return GuardDecision.Allow(notes.Count > 0 ? string.Join(Environment.NewLine, notes) : null);
    }

    public async Task<GuardDecision> CheckGenerationAsync(GenerationRequest request, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        // No guard, no generation: a blocklist nothing enforces must not pass as if it were enforced.
        if (request.Project is { } project && project.Blocklist.Any(c => c.Trim().Length > 0) && !Guards.OfType<IBlocklistGuard>().Any())
            return GuardDecision.Refuse($"project '{project.Name}' blocks {BlocklistConcepts.Describe(project.Blocklist)}, but nothing enforces it: " +
                (WhyNoBlocklistGuard?.Invoke() ?? "no blocklist guard is registered") + ". The generation was refused.");
        var notes = new List<string>();
        foreach (var guard in Guards)
        {
            cancellation.ThrowIfCancellationRequested();
            GuardDecision? decision;
            try
            {
                decision = await guard.CheckAsync(request, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                _log.LogError(e, "generation guard {Guard} failed", guard.GetType().FullName);
                return GuardDecision.Refuse($"the generation guard {guard.GetType().FullName} failed ({e.Message}), so the generation was refused");
            }
            if (decision is null)
                return GuardDecision.Refuse($"the generation guard {guard.GetType().FullName} gave no decision, so the generation was refused");
            if (!decision.Allowed)
                return GuardDecision.Refuse(decision.Message is { Length: > 0 } m ? m : $"refused by {guard.GetType().FullName}", decision.Remedy);
            if (decision.Message is { Length: > 0 } note) notes.Add(note);
        }
        return GuardDecision.Allow(notes.Count > 0 ? string.Join(Environment.NewLine, notes) : null);
    }

    private bool Edit(string concept, bool add)
    {
        ArgumentNullException.ThrowIfNull(concept);
        var normalized = BlocklistConcepts.Normalize(concept);
        if (normalized.Length == 0) throw new ArgumentException("a concept needs at least one visible character", nameof(concept));
        Project updated;
        bool changed = false;
        lock (_gate)
        {
            var active = _active ?? throw new InvalidOperationException("no project is open");
            // Read, change and write under the file's lock: another process editing the same project keeps its change.
            var settings = ProjectFile.Update(active.Folder, current =>
            {
                var list = current.Blocklist.ToList();
                int index = BlocklistConcepts.IndexOf(list, normalized);
                if (add == index >= 0) return null;
                if (add) list.Add(normalized);
                else list.RemoveAt(index);
                changed = true;
                return current with { Blocklist = list };
            });
            _active = updated = new Project(active.Folder, settings);
        }
        if (!changed) return false;
        _log.LogInformation("{Action} '{Concept}' in project '{Name}'", add ? "blocked" : "unblocked", normalized, updated.Name);
        BlocklistChanged?.Invoke(this, new ProjectChangedEventArgs(updated));
        return true;
    }
}

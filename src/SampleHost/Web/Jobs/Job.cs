using Host.Abstractions;

namespace SampleHost.Web.Jobs;

/// <summary>
/// One piece of work the page started (a command, a generation): its progress, the latest preview, and how it ended.
/// Every change bumps <see cref="Version"/> and is announced on the board.
/// </summary>
public sealed class Job
{
    private readonly object _gate = new();
    private readonly Action<Job> _changed;

    internal Job(string id, string kind, string title, Action<Job> changed)
    {
        (Id, Kind, Title, _changed) = (id, kind, title, changed);
        Created = DateTimeOffset.UtcNow;
    }

    public string Id { get; }
    /// <summary>"command" or "generate".</summary>
    public string Kind { get; }
    public string Title { get; }
    public DateTimeOffset Created { get; }
    public CancellationTokenSource Cancellation { get; } = new();

    public JobState State { get; private set; } = JobState.Queued;
    public double Fraction { get; private set; }
    public string Message { get; private set; } = "waiting for the model";
    public byte[]? Preview { get; private set; }
    public int PreviewVersion { get; private set; }
    /// <summary>What it produced: files (full paths) and, for a refusal, the command offered as the way out.</summary>
    public IReadOnlyList<string> Files { get; private set; } = [];
    public CommandRequest? Remedy { get; private set; }
    public long Version { get; private set; }

    public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.Refused;

    internal void Start(string message = "running") => Update(j => { j.State = JobState.Running; j.Message = message; });

    internal void Report(ProgressReport report) => Update(j =>
    {
        j.State = JobState.Running;
        j.Fraction = double.IsFinite(report.Fraction) ? Math.Clamp(report.Fraction, 0, 1) : j.Fraction;
        j.Message = report.Message;
        if (report.PreviewPng is { Length: > 0 } png) { j.Preview = png; j.PreviewVersion++; }
    });

    internal void Finish(JobState state, string message, IReadOnlyList<string>? files = null, CommandRequest? remedy = null) => Update(j =>
    {
        j.State = state;
        j.Message = message;
        if (state == JobState.Succeeded) j.Fraction = 1;
        j.Files = files ?? [];
        j.Remedy = remedy;
    });

    private void Update(Action<Job> change)
    {
        lock (_gate)
        {
            if (IsFinished) return;
            change(this);
            Version++;
        }
        _changed(this);
    }

    /// <summary>A consistent copy for the page.</summary>
    public object Snapshot(Func<string, string?> fileUrl)
    {
        lock (_gate)
            return new
            {
                id = Id, kind = Kind, title = Title, state = State.ToString().ToLowerInvariant(), fraction = Fraction, message = Message,
                preview = Preview is null ? null : $"/api/jobs/{Id}/preview?v={PreviewVersion}",
                files = Files.Select(f => new { path = f, url = fileUrl(f) }).ToList(),
                remedy = Remedy is null ? null : new { command = Remedy.CommandId, arguments = Remedy.Arguments },
                version = Version, created = Created,
            };
    }
}

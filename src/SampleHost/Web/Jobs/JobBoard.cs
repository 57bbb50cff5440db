using System.Collections.Concurrent;
using System.Threading.Channels;
using Host.Abstractions;

namespace SampleHost.Web.Jobs;

/// <summary>
/// The jobs of this server and everyone listening to them: each change of a job, and each change of the studio's
/// state (model, edits, project), goes to every subscriber as one server-sent event.
/// </summary>
public sealed class JobBoard
{
    private const int KeptFinished = 50;
    private readonly ConcurrentDictionary<string, Job> _jobs = new();
    private readonly ConcurrentDictionary<Guid, Channel<(string Event, object Data)>> _subscribers = new();
    private readonly Func<string, string?> _fileUrl;
    private long _next;

    public JobBoard(Func<string, string?> fileUrl) => _fileUrl = fileUrl;

    public IReadOnlyList<Job> Jobs => _jobs.Values.OrderBy(j => j.Created).ToList();

    public Job? Find(string id) => _jobs.TryGetValue(id, out var job) ? job : null;

    /// <summary>
    /// Starts <paramref name="body"/> as a job (off the request's thread). What it throws ends the job as failed with the
    /// exception's message (never its stack); a cancellation it honours ends it as cancelled.
    /// </summary>
    public Job Start(string kind, string title, Func<Job, CancellationToken, Task> body)
    {
        var id = Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var job = new Job(id, kind, title, Announce);
        _jobs[id] = job;
        Forget();
        Announce(job);
        _ = Task.Run(async () =>
        {
            try
            {
                await body(job, job.Cancellation.Token);
                if (!job.IsFinished) job.Finish(JobState.Succeeded, "done");
            }
            catch (OperationCanceledException) when (job.Cancellation.IsCancellationRequested)
            {
                job.Finish(JobState.Cancelled, "cancelled");
            }
            catch (Exception e)
            {
                job.Finish(JobState.Failed, e.Message);
            }
            finally
            {
                StateChanged();
            }
        });
        return job;
    }

    /// <summary>Tells every subscriber the studio's state changed (they fetch it again).</summary>
    public void StateChanged() => Publish("state", new { });

    public object Snapshot(Job job) => job.Snapshot(_fileUrl);

    /// <summary>A subscription to every event, ended by <paramref name="cancel"/>; the jobs as they are come first.</summary>
    public async IAsyncEnumerable<(string Event, object Data)> Subscribe([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel)
    {
        var channel = Channel.CreateBounded<(string, object)>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
        var key = Guid.NewGuid();
        _subscribers[key] = channel;
        try
        {
            foreach (var job in Jobs) yield return ("job", Snapshot(job));
            while (true)
            {
                (string, object) item;
                try { item = await channel.Reader.ReadAsync(cancel); }
                catch (OperationCanceledException) { yield break; }
                yield return item;
            }
        }
        finally
        {
            _subscribers.TryRemove(key, out _);
        }
    }

    private void Announce(Job job) => Publish("job", Snapshot(job));

    private void Publish(string name, object data)
    {
        foreach (var channel in _subscribers.Values) channel.Writer.TryWrite((name, data));
    }

    /// <summary>Only the latest finished jobs are kept.</summary>
    private void Forget()
    {
        foreach (var old in _jobs.Values.Where(j => j.IsFinished).OrderByDescending(j => j.Created).Skip(KeptFinished).ToList())
            _jobs.TryRemove(old.Id, out _);
    }
}

/// <summary>A job's progress sink for the host's command runner.</summary>
internal sealed class JobProgress(Job job) : IProgress<ProgressReport>
{
    public void Report(ProgressReport value) => job.Report(value);
}

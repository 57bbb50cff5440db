namespace SampleHost.LoadedModels;

/// <summary>
/// An asynchronous reader/writer lock with writer preference: any number of readers together, or one
/// writer alone. A waiting writer holds back readers that arrive after it, so a steady stream of readers
/// cannot starve it; when a writer leaves, the readers waiting at that moment all go before the next
/// writer, so writers cannot starve readers either. Waits are cancellable; a cancelled wait leaves the
/// lock as if it had never been asked.
/// </summary>
public sealed class AsyncReaderWriterLock
{
    private readonly object _gate = new();
    private readonly LinkedList<Waiter> _waitingReaders = new();
    private readonly LinkedList<Waiter> _waitingWriters = new();
    private int _readers;
    private bool _writer;

    /// <summary>Readers holding the lock now.</summary>
    public int Readers { get { lock (_gate) return _readers; } }

    /// <summary>Whether a writer holds the lock now.</summary>
    public bool IsWriterHeld { get { lock (_gate) return _writer; } }

    /// <summary>Whether a writer holds the lock or waits for it (a reader asking now would wait).</summary>
    public bool IsWriteHeldOrWaited { get { lock (_gate) return _writer || _waitingWriters.Count > 0; } }

    /// <summary>Whether nobody holds the lock and nobody waits for it.</summary>
    public bool IsIdle { get { lock (_gate) return !_writer && _readers == 0 && _waitingReaders.Count == 0 && _waitingWriters.Count == 0; } }

    public Task EnterReadAsync(CancellationToken cancellation = default)
    {
        lock (_gate)
        {
            cancellation.ThrowIfCancellationRequested();
            if (!_writer && _waitingWriters.Count == 0)
            {
                _readers++;
                return Task.CompletedTask;
            }
            return Enqueue(_waitingReaders, cancellation);
        }
    }

    public Task EnterWriteAsync(CancellationToken cancellation = default)
    {
        lock (_gate)
        {
            cancellation.ThrowIfCancellationRequested();
            if (!_writer && _readers == 0 && _waitingWriters.Count == 0)
            {
                _writer = true;
                return Task.CompletedTask;
            }
            return Enqueue(_waitingWriters, cancellation);
        }
    }

    public void ExitRead()
    {
        lock (_gate)
        {
            if (_readers == 0) throw new InvalidOperationException("no reader holds the lock");
            _readers--;
            if (_readers == 0) GrantNextWriter();
        }
    }

    public void ExitWrite()
    {
        lock (_gate)
        {
            if (!_writer) throw new InvalidOperationException("no writer holds the lock");
            _writer = false;
            if (_waitingReaders.Count > 0) GrantAllReaders();
            else GrantNextWriter();
        }
    }

    private Task Enqueue(LinkedList<Waiter> queue, CancellationToken cancellation)
    {
        var waiter = new Waiter();
        var node = queue.AddLast(waiter);
        if (cancellation.CanBeCanceled)
            waiter.Registration = cancellation.Register(() => Cancel(queue, node, cancellation));
        return waiter.Completion.Task;
    }

    private void Cancel(LinkedList<Waiter> queue, LinkedListNode<Waiter> node, CancellationToken cancellation)
    {
        lock (_gate)
        {
            // Already granted (node removed): the caller owns the lock and must release it as usual.
            if (node.List is null) return;
            queue.Remove(node);
            node.Value.Completion.TrySetCanceled(cancellation);
            // A cancelled writer may have been all that held back waiting readers.
            if (queue == _waitingWriters && !_writer)
            {
                if (_waitingWriters.Count == 0) GrantAllReaders();
                else if (_readers == 0) GrantNextWriter();
            }
        }
    }

    private void GrantNextWriter()
    {
        if (_writer || _readers > 0 || _waitingWriters.First is not { } first) return;
        _waitingWriters.RemoveFirst();
        _writer = true;
        first.Value.Grant();
    }

    private void GrantAllReaders()
    {
        while (_waitingReaders.First is { } first)
        {
            _waitingReaders.RemoveFirst();
            _readers++;
            first.Value.Grant();
        }
    }

    private sealed class Waiter
    {
        // Continuations run off this lock's thread, never inline under its monitor.
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }

        public void Grant()
        {
            // Unregister, not Dispose: Dispose would wait for a running cancellation callback that waits for our monitor.
            Registration.Unregister();
            Completion.TrySetResult();
        }
    }
}

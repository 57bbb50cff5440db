using Host.Abstractions;
using SampleHost.LoadedModels;
using static TorchSharp.torch;

namespace SampleHost.Tests.LoadedModels;

public class ModelCacheTests
{
    private static readonly TimeSpan Brief = TimeSpan.FromMilliseconds(150);

    /// <summary>A cache whose loader builds <see cref="TinyModel"/>s and records them.</summary>
    private sealed class Harness
    {
        public List<TinyModel> Built { get; } = [];
        public int Loads => Volatile.Read(ref _loads);
        public Func<ModelKey, CancellationToken, TinyModel>? Override { get; set; }
        private int _loads;

        public ModelCache Create(int capacity = 1) => new((key, cancel) =>
        {
            Interlocked.Increment(ref _loads);
            var model = Override?.Invoke(key, cancel) ?? new TinyModel(key.Folder);
            lock (Built) Built.Add(model);
            return model;
        }, capacity);
    }

    private static ModelKey Key(string name) => ModelKey.For(Path.Combine(Path.GetTempPath(), "models", name), CPU, ScalarType.Float32);

    [Fact]
    public async Task SharedLeasesAreHeldTogetherOnOneLoadedCopy()
    {
        var harness = new Harness();
        using var cache = harness.Create();
        cache.Select(Key("a"));
        var leases = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => cache.AcquireAsync(LeaseMode.Shared)));
        Assert.Equal(1, harness.Loads);
        Assert.All(leases, l => Assert.Same(leases[0].Model, l.Model));
        Assert.All(leases, l => Assert.Equal(LeaseMode.Shared, l.Mode));
        Assert.Equal(Key("a").Folder, cache.ActiveModelFolder);
        foreach (var l in leases) l.Dispose();
    }

    [Fact]
    public async Task ExclusiveLeaseWaitsForEverySharedLease()
    {
        using var cache = new Harness().Create();
        var key = Key("a");
        var s1 = await cache.AcquireAsync(key, LeaseMode.Shared);
        var s2 = await cache.AcquireAsync(key, LeaseMode.Shared);

        var exclusive = cache.AcquireAsync(key, LeaseMode.Exclusive);
        await Task.Delay(Brief);
        Assert.False(exclusive.IsCompleted);
        s1.Dispose();
        await Task.Delay(Brief);
        Assert.False(exclusive.IsCompleted);
        s2.Dispose();
        using var held = await exclusive.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(LeaseMode.Exclusive, held.Mode);
    }

    [Fact]
    public async Task WaitingExclusiveLeaseHoldsBackNewSharedLeases()
    {
        using var cache = new Harness().Create();
        var key = Key("a");
        var first = await cache.AcquireAsync(key, LeaseMode.Shared);
        var exclusive = cache.AcquireAsync(key, LeaseMode.Exclusive);
        await Task.Delay(Brief);
        var later = cache.AcquireAsync(key, LeaseMode.Shared);
        await Task.Delay(Brief);
        Assert.False(later.IsCompleted, "a shared lease asked for after a waiting exclusive one must wait for it");

        first.Dispose();
        var writer = await exclusive.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(Brief);
        Assert.False(later.IsCompleted);
        writer.Dispose();
        (await later.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    [Fact]
    public async Task ExclusiveLeaseExcludesOtherExclusiveLeases()
    {
        using var cache = new Harness().Create();
        var key = Key("a");
        var first = await cache.AcquireAsync(key, LeaseMode.Exclusive);
        var second = cache.AcquireAsync(key, LeaseMode.Exclusive);
        var shared = cache.AcquireAsync(key, LeaseMode.Shared);
        await Task.Delay(Brief);
        Assert.False(second.IsCompleted);
        Assert.False(shared.IsCompleted);
        first.Dispose();
        first.Dispose();   // a second dispose releases nothing more
        // Readers waiting when a writer leaves go before the next writer.
        var reader = await shared.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(second.IsCompleted);
        reader.Dispose();
        (await second.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    [Fact]
    public async Task CancellingAWaitingExclusiveLeaseLetsTheOthersGo()
    {
        var harness = new Harness();
        using var cache = harness.Create();
        var key = Key("a");
        var held = await cache.AcquireAsync(key, LeaseMode.Shared);
        using var cancel = new CancellationTokenSource();
        var exclusive = cache.AcquireAsync(key, LeaseMode.Exclusive, cancel.Token);
        await Task.Delay(Brief);
        var queuedReader = cache.AcquireAsync(key, LeaseMode.Shared);
        await Task.Delay(Brief);
        Assert.False(queuedReader.IsCompleted);

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => exclusive);
        (await queuedReader.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        held.Dispose();
        Assert.False(cache.IsLeased(key));
        (await cache.AcquireAsync(key, LeaseMode.Exclusive).WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        Assert.Equal(1, harness.Loads);
        Assert.False(harness.Built[0].IsDisposed);
    }

    [Fact]
    public async Task CancellingAWaitingSharedLeaseLeavesTheLockUsable()
    {
        using var cache = new Harness().Create();
        var key = Key("a");
        var writer = await cache.AcquireAsync(key, LeaseMode.Exclusive);
        using var cancel = new CancellationTokenSource();
        var reader = cache.AcquireAsync(key, LeaseMode.Shared, cancel.Token);
        await Task.Delay(Brief);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader);
        writer.Dispose();
        (await cache.AcquireAsync(key, LeaseMode.Exclusive).WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        Assert.False(cache.IsLeased(key));
    }

    [Fact]
    public async Task AcquiringWithoutASelectedModelIsRefused()
    {
        using var cache = new Harness().Create();
        Assert.Null(cache.ActiveModelFolder);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => cache.AcquireAsync(LeaseMode.Shared));
        Assert.Contains("no model is selected", e.Message);
    }

    [Fact]
    public async Task SameFolderOnAnotherDtypeIsAnotherCopy()
    {
        var harness = new Harness();
        using var cache = harness.Create(capacity: 2);
        var folder = Path.Combine(Path.GetTempPath(), "models", "x");
        var k32 = cache.Select(folder + Path.DirectorySeparatorChar, CPU, ScalarType.Float32);
        Assert.Equal(ModelKey.For(folder, CPU, ScalarType.Float32), k32);
        var k16 = ModelKey.For(folder, CPU, ScalarType.Float16);
        using (var a = await cache.AcquireAsync(LeaseMode.Shared))
        using (var b = await cache.AcquireAsync(k16, LeaseMode.Shared))
            Assert.NotSame(a.Model, b.Model);
        Assert.Equal(2, harness.Loads);
    }

    [Fact]
    public async Task ConcurrentFirstLeasesLoadOnce()
    {
        var harness = new Harness();
        harness.Override = (key, _) => { Thread.Sleep(200); return new TinyModel(key.Folder); };
        using var cache = harness.Create();
        var key = Key("slow");
        var leases = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            Task.Run(() => cache.AcquireAsync(key, LeaseMode.Shared))));
        Assert.Equal(1, harness.Loads);
        foreach (var l in leases) l.Dispose();
    }

    [Fact]
    public async Task FailedLoadIsReportedAndRetriedNextTime()
    {
        var harness = new Harness();
        harness.Override = (_, _) => throw new IOException("weights missing");
        using var cache = harness.Create();
        var key = Key("broken");
        var e = await Assert.ThrowsAsync<IOException>(() => cache.AcquireAsync(key, LeaseMode.Shared));
        Assert.Equal("weights missing", e.Message);
        Assert.False(cache.IsLeased(key));
        Assert.Empty(cache.Loaded);

        harness.Override = null;
        using var lease = await cache.AcquireAsync(key, LeaseMode.Shared);
        Assert.Equal(2, harness.Loads);
    }

    [Fact]
    public async Task CancellingALoadLeavesNothingBehind()
    {
        var harness = new Harness();
        harness.Override = (key, cancel) =>
        {
            cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(10));
            cancel.ThrowIfCancellationRequested();
            return new TinyModel(key.Folder);
        };
        using var cache = harness.Create();
        using var cancel = new CancellationTokenSource();
        var key = Key("slow");
        var pending = cache.AcquireAsync(key, LeaseMode.Shared, cancel.Token);
        await Task.Delay(Brief);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.Empty(cache.Loaded);
        Assert.False(cache.IsLeased(key));
    }

    [Fact]
    public async Task EvictionNeverTouchesALeasedModel()
    {
        var harness = new Harness();
        using var cache = harness.Create(capacity: 1);
        var a = Key("a");
        var b = Key("b");
        var leaseA = await cache.AcquireAsync(a, LeaseMode.Shared);
        var modelA = (TinyModel)leaseA.Model;

        Assert.False(cache.Evict(a));
        Assert.Equal(0, cache.EvictUnleased());

        // Over capacity while a is leased: b is loaded beside it, and a stays.
        using (var leaseB = await cache.AcquireAsync(b, LeaseMode.Exclusive))
        {
            Assert.Equal(2, cache.Loaded.Count);
            Assert.False(modelA.IsDisposed);
        }
        Assert.False(modelA.IsDisposed);
        Assert.Contains(a, cache.Loaded);
        // Still usable while leased.
        using (var x = randn(1, 4, 8, 8)) modelA.Tiny.Run(x).Dispose();

        leaseA.Dispose();
        Assert.True(cache.Loaded.Count <= 1, "released models beyond the capacity are unloaded");

        var loaded = cache.Loaded.Single();
        Assert.True(cache.Evict(loaded));
        Assert.Empty(cache.Loaded);
        Assert.All(harness.Built, m => Assert.True(m.IsDisposed));
    }

    [Fact]
    public async Task LoadingBeyondCapacityUnloadsTheLeastRecentlyUsedUnleasedModel()
    {
        var harness = new Harness();
        using var cache = harness.Create(capacity: 2);
        (await cache.AcquireAsync(Key("a"), LeaseMode.Shared)).Dispose();
        (await cache.AcquireAsync(Key("b"), LeaseMode.Shared)).Dispose();
        (await cache.AcquireAsync(Key("a"), LeaseMode.Shared)).Dispose();
        (await cache.AcquireAsync(Key("c"), LeaseMode.Shared)).Dispose();
        Assert.Equal([Key("a"), Key("c")], cache.Loaded.OrderBy(k => k.Folder));
        Assert.True(harness.Built.Single(m => m.Folder == Key("b").Folder).IsDisposed);
        Assert.False(harness.Built.Single(m => m.Folder == Key("a").Folder).IsDisposed);
    }

    [Fact]
    public async Task DisposingTheCacheWaitsForLeasesBeforeUnloading()
    {
        var harness = new Harness();
        var cache = harness.Create();
        var lease = await cache.AcquireAsync(Key("a"), LeaseMode.Shared);
        cache.Dispose();
        Assert.False(((TinyModel)lease.Model).IsDisposed);
        lease.Dispose();
        Assert.True(((TinyModel)lease.Model).IsDisposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => cache.AcquireAsync(Key("a"), LeaseMode.Shared));
    }
}

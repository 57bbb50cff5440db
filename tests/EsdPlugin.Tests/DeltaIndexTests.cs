using TestUtilities;
using EsdPlugin.Commands;
using EsdPlugin.Deltas;
using Host.Abstractions;
using static TorchSharp.torch;

namespace EsdPlugin.Tests;

/// <summary>The store's index: a generation's guard does not re-read and re-hash every stored delta.</summary>
[Collection(HeavyTests.Name)]
public class DeltaIndexTests
{
    /// <summary>The host's tensor files, counting header reads (each one is a file read the index should spare).</summary>
    private sealed class CountingFiles(ITensorFiles inner) : ITensorFiles
    {
        public int HeaderReads;
        public TensorFileContents Read(string path) => inner.Read(path);
        public TensorFileHeader ReadHeader(string path) { HeaderReads++; return inner.ReadHeader(path); }
        public void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
            inner.Write(path, tensors, metadata);
        public void WriteNew(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
            inner.WriteNew(path, tensors, metadata);
        public void WriteAtomically(string path, Action<string> writeTemporaryFile, bool overwrite = true) => inner.WriteAtomically(path, writeTemporaryFile, overwrite);
    }

    private static async Task<List<string>> ThreeDeltas(Harness h)
    {
        var paths = new List<string>();
        foreach (var concept in new[] { "cat", "dog", "car" })
            paths.Add(Assert.Single((await h.Run(EraseConceptCommand.Create(h.Services), new()
            {
                ["concepts"] = concept, ["iterations"] = "1", ["ddim-steps"] = "2",
            })).Files));
        return paths;
    }

    [Fact]
    public async Task EachFileIsReadOnceUntilItChangesAndTheIndexOutlivesTheProcess()
    {
        using var h = new Harness();
        var paths = await ThreeDeltas(h);
        var files = new CountingFiles(h.Context.TensorFiles);
        var store = new DeltaStore(h.Services.Store.Folder, files, h.Services.Store.Signer);
        Assert.Equal(3, store.All().Count);
        int first = files.HeaderReads;
        Assert.Equal(3, store.All().Count);
        Assert.Equal(first, files.HeaderReads); // nothing read again
        Assert.True(File.Exists(Path.Combine(store.Folder, DeltaIndex.FileName)));

        // Another store on the same folder (as the next `studio generate` process has) reads the index, not the files.
        var fresh = new CountingFiles(h.Context.TensorFiles);
        var again = new DeltaStore(store.Folder, fresh, h.Services.Store.Signer);
        Assert.Equal(store.All().Select(d => d.Stamp), again.All().Select(d => d.Stamp));
        Assert.Equal(0, fresh.HeaderReads);

        // A changed file is read again; a removed one leaves the index.
        File.Copy(paths[0], paths[1], overwrite: true);
        File.SetLastWriteTimeUtc(paths[1], DateTime.UtcNow.AddSeconds(5));
        var afterChange = again.All();
        Assert.Equal(1, fresh.HeaderReads);
        Assert.Equal(2, afterChange.Select(d => d.Stamp).Distinct().Count());
        File.Delete(paths[2]);
        Assert.Equal(2, again.All().Count);
    }

    [Fact]
    public async Task TheBaseCheckIsKeptPerModelAndDeltaAndAChangedFileIsNotLoadedUnderItsOldStamp()
    {
        using var h = new Harness();
        var paths = await ThreeDeltas(h);
        using var lease = await h.Cache.AcquireAsync(LeaseMode.Exclusive);
        var delta = h.Services.Store.All().Single(d => d.Path == paths[0]);
        Assert.True(h.Services.Store.MatchesBase(lease.Model, delta));

        // A second store (another process) answers from the index without touching the model's weights.
        var again = new DeltaStore(h.Services.Store.Folder, h.Context.TensorFiles, h.Services.Store.Signer);
        var indexed = again.All().Single(d => d.Path == paths[0]);
        Assert.True(again.MatchesBase(new NoWeights(lease.Model), indexed));

        // Replaced behind the index's back with the same size and time: loading refuses the stale description.
        var time = File.GetLastWriteTimeUtc(paths[0]);
        File.Copy(paths[1], paths[0], overwrite: true);
        File.SetLastWriteTimeUtc(paths[0], time);
        var stale = again.All().Single(d => d.Path == paths[0]);
        var e = Assert.Throws<InvalidDataException>(() => DeltaLoader.Load(lease.Model, h.Context.TensorFiles, stale));
        Assert.Contains("changed since it was read", e.Message);
    }

    /// <summary>A loaded model whose weights must not be read (the test's proof that an answer came from the index).</summary>
    private sealed class NoWeights(ILoadedModel inner) : ILoadedModel
    {
        public string Folder => inner.Folder;
        public string Fingerprint => inner.Fingerprint;
        public Device Device => inner.Device;
        public ScalarType Dtype => inner.Dtype;
        public string Family => inner.Family;
        public nn.Module Unet => throw new InvalidOperationException("the U-Net was read");
        public Tensor Denoise(Tensor sample, Tensor timestep, Conditioning conditioning) => throw new InvalidOperationException("the U-Net was run");
        public long[] LatentShape => inner.LatentShape;
        public ITextEncoder TextEncoder => inner.TextEncoder;
        public INoiseSchedule Schedule => inner.Schedule;
        public IWeightPatches Patches => throw new InvalidOperationException("the patches were read");
    }
}

using TestUtilities;
using EsdPlugin.Commands;
using EsdPlugin.Deltas;
using Host.Abstractions;
using static TorchSharp.torch;

namespace EsdPlugin.Tests;

[Collection(HeavyTests.Name)]
public class DeltaTests
{
    private static readonly Dictionary<string, string> Quick = new()
    {
        ["concepts"] = "cat", ["iterations"] = "2", ["ddim-steps"] = "4", ["learning-rate"] = "1e-3", ["method"] = "esd-x",
    };

    private static async Task<string> TrainDelta(Harness h, Dictionary<string, string>? args = null) =>
        Assert.Single((await h.Run(EraseConceptCommand.Create(h.Services), args ?? Quick)).Files);

    [Fact]
    public async Task LoadThenRestoreIsBitExact()
    {
        using var h = new Harness();
        var path = await TrainDelta(h);
        var original = await h.UnetBytes();

        var result = await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = "cat-esd-x" });
        Assert.Contains("loaded", result.Message);
        var edited = await h.UnetBytes();
        using (var contents = h.Context.TensorFiles.Read(path))
            foreach (var (name, t) in contents.Tensors)
                Assert.Equal(t.contiguous().bytes.ToArray(), edited[name]);
        Assert.NotEqual(original, edited);

        await h.Run(RestoreOriginalCommand.Create(h.Services), []);
        Assert.Equal(original, await h.UnetBytes());
    }

    [Fact]
    public async Task ADeltaForAnotherBaseIsRefusedNamingBoth()
    {
        using var h = new Harness();
        var path = await TrainDelta(h);
        // The same delta, declared for another base.
        var header = h.Context.TensorFiles.ReadHeader(path);
        var meta = new Dictionary<string, string>(header.Metadata) { ["base_fingerprint"] = new string('a', 64) };
        var other = Path.Combine(h.DataFolder, "other.safetensors");
        using (var contents = h.Context.TensorFiles.Read(path)) h.Context.TensorFiles.Write(other, contents.Tensors, meta);
        var before = await h.UnetBytes();

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = other }));
        Assert.Contains("another base", e.Message);
        Assert.Contains("aaaaaaaaaaaaaaaa", e.Message);
        using (var lease = await h.Cache.AcquireAsync(LeaseMode.Shared))
            Assert.Contains(DeltaLoader.BaseFingerprint(lease.Model, header.Tensors.Keys)[..16], e.Message);
        Assert.Equal(before, await h.UnetBytes());
    }

    [Fact]
    public async Task AnAuthorsFormatDeltaLoadsWithAWarning()
    {
        using var h = new Harness();
        var path = await TrainDelta(h);
        var plain = Path.Combine(h.DataFolder, "authors.safetensors");
        using (var contents = h.Context.TensorFiles.Read(path)) h.Context.TensorFiles.Write(plain, contents.Tensors, new Dictionary<string, string> { ["format"] = "pt" });

        var result = await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = plain });
        Assert.Contains("cannot be verified", result.Message);
        using var lease = await h.Cache.AcquireAsync(LeaseMode.Shared);
        Assert.NotNull(lease.Model.Patches.LiveStamp);
    }

    [Fact]
    public async Task ADeltaWithAWrongShapeChangesNothing()
    {
        using var h = new Harness();
        var plain = Path.Combine(h.DataFolder, "bad.safetensors");
        using (var lease = await h.Cache.AcquireAsync(LeaseMode.Shared))
        {
            var p = lease.Model.Unet.named_parameters().First(x => x.name.Contains("attn2.to_k"));
            var q = lease.Model.Unet.named_parameters().First(x => x.name.Contains("attn2.to_v"));
            using var good = q.parameter.detach().clone() + 1;
            using var bad = zeros(3, 3);
            h.Context.TensorFiles.Write(plain, new Dictionary<string, Tensor> { [q.name] = good, [p.name] = bad });
        }
        var before = await h.UnetBytes();
        var e = await Assert.ThrowsAsync<WeightPatchException>(() => h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = plain }));
        Assert.Contains("attn2.to_k", e.Message);
        Assert.Equal(before, await h.UnetBytes());
    }
}

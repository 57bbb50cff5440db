using EsdPlugin.Commands;
using EsdPlugin.Deltas;
using Host.Abstractions;
using TestUtilities;

namespace EsdPlugin.Tests;

/// <summary>ESD on models loaded from single-file checkpoints: the same U-Net as the folder's, so deltas move between them.</summary>
[Collection(HeavyTests.Name)]
public class SingleFileTests
{
    [Theory]
    [InlineData("alpha")]
    [InlineData("sdxl-alpha")]
    public async Task ADeltaErasedOnTheSingleFileLoadsOnTheFolderModelAndBack(string fixture)
    {
        var (folder, file) = fixture == "alpha" ? (AlphaFixture.Folder, SingleFileFixtures.Alpha) : (SdxlAlphaFixture.Folder, SingleFileFixtures.SdxlAlpha);
        using var single = new Harness(file, config: folder);
        using var fromFolder = new Harness(folder);
        using (var lease = await single.Cache.AcquireAsync(LeaseMode.Shared))
        using (var other = await fromFolder.Cache.AcquireAsync(LeaseMode.Shared))
        {
            Assert.Equal(Path.GetFullPath(file), lease.Model.Folder);
            Assert.Equal(other.Model.Fingerprint, lease.Model.Fingerprint);
            Assert.Equal(other.Model.Family, lease.Model.Family);
        }

        var before = await single.UnetBytes();
        var path = Assert.Single((await single.Run(EraseConceptCommand.Create(single.Services), new()
        {
            ["concepts"] = "cat", ["iterations"] = "2", ["ddim-steps"] = "4", ["learning-rate"] = "1e-2", ["seed"] = "3",
        })).Files);
        Assert.Equal(before, await single.UnetBytes());
        var info = DeltaFile.Inspect(single.Context.TensorFiles, path);
        Assert.Equal(fixture == "alpha" ? "sd1" : "sdxl", info.Family);

        // The folder's model takes the single file's delta, and the single file's model gives the same weights.
        await fromFolder.Run(LoadEditedModelCommand.Create(fromFolder.Services), new() { ["delta"] = path });
        await single.Run(LoadEditedModelCommand.Create(single.Services), new() { ["delta"] = path });
        var edited = await single.UnetBytes();
        Assert.NotEqual(before, edited);
        Assert.Equal(edited, await fromFolder.UnetBytes());
        await single.Run(RestoreOriginalCommand.Create(single.Services), []);
        Assert.Equal(before, await single.UnetBytes());
    }
}

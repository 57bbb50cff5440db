using DiffusionEngine.IO;
using TestUtilities;

namespace DiffusionEngine.Tests.IO;

/// <summary>Files are written whole or not at all.</summary>
public class AtomicFileTests
{
    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporaryFile()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("report.json");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("new, half"u8);
            throw new InvalidOperationException("the writer failed midway");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void AWriteReplacesTheFileWholeAndMayRefuseToOverwrite()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("sub/a.bin");
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        AtomicFile.WriteVia(path, temp => File.WriteAllBytes(temp, [4, 5]));
        Assert.Equal([4, 5], File.ReadAllBytes(path));
        Assert.Throws<IOException>(() => AtomicFile.WriteAllBytes(path, [9], overwrite: false));
        Assert.Equal([4, 5], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void AKilledWritersTemporaryFilesAreRemovedOnceStaleAndOthersKept()
    {
        using var tmp = new TempFolder();
        var stale = tmp.File("deltas/.star.safetensors.0123456789abcdef0123456789abcdef.tmp");
        var fresh = tmp.File("deltas/.cat.safetensors.fedcba9876543210fedcba9876543210.tmp");
        var kept = tmp.File("deltas/star.safetensors");
        foreach (var f in new[] { stale, fresh, kept }) File.WriteAllText(f, "x");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow - AtomicFile.StaleAfter - TimeSpan.FromMinutes(1));
        File.SetLastWriteTimeUtc(kept, DateTime.UtcNow - TimeSpan.FromDays(3));
        Assert.Equal(1, AtomicFile.RemoveStale(tmp.Path, recursive: true));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh)); // a write in progress elsewhere is never touched
        Assert.True(File.Exists(kept));
    }
}

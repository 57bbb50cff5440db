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
}

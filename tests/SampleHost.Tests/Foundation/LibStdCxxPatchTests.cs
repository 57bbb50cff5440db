using TestUtilities;
using System.Runtime.InteropServices;
using ElfCompat;

namespace SampleHost.Tests.Foundation;

public partial class LibStdCxxPatchTests
{
    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int HardLink(string existing, string newPath);

    private static string OutputLibrary(string outputDir) =>
        Path.Combine(outputDir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    public static TheoryData<string> Outputs => new()
    {
        AppContext.BaseDirectory,
        RepoPaths.ProjectOutput("src/SampleHost"),
    };

    [LinuxTheory("ELF libraries and the system libstdc++")]
    [MemberData(nameof(Outputs))]
    public void Glibcxx3432NeedIsWeakOrProvided(string outputDir)
    {
        var system = SystemLibStdCxx.Locate();
        Assert.NotNull(system);
        var provided = SystemLibStdCxx.Versions(system!);
        var image = ElfImage.Load(OutputLibrary(outputDir));

        var need = Assert.Single(image.Needs, n => n.Version == "GLIBCXX_3.4.32");
        Assert.True(need.IsWeak || provided.Contains("GLIBCXX_3.4.32"),
            $"{image.Path} needs GLIBCXX_3.4.32 strongly, and {system} does not provide it");
        // Nothing else the system lacks may remain strongly needed.
        Assert.All(VersionNeedPatcher.MissingNeeds(image, SystemLibStdCxx.SoName, provided), n => Assert.True(n.IsWeak, n.Version));
    }

    [LinuxFact("patches an ELF library, makes a hard link")]
    public void PatchIsIdempotentAndLeavesOtherLinksUntouched()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var dir = Directory.CreateTempSubdirectory("elfpatch");
        try
        {
            // Build an unpatched copy: clear the weak flag on the 3.4.32 need.
            var image = ElfImage.Load(source);
            var need = image.Needs.Single(n => n.Version == "GLIBCXX_3.4.32");
            var bytes = (byte[])image.Bytes.Clone();
            bytes[need.FlagsOffset] &= unchecked((byte)~VersionNeed.WeakFlag);
            var target = Path.Combine(dir.FullName, "libLibTorchSharp.so");
            File.WriteAllBytes(target, bytes);
            // A second name for the same file stands in for a hard link into the NuGet cache.
            var link = Path.Combine(dir.FullName, "cache-copy.so");
            Assert.Equal(0, HardLink(target, link));

            var provided = new HashSet<string>(SystemLibStdCxx.Versions(SystemLibStdCxx.Locate()!)) { };
            provided.Remove("GLIBCXX_3.4.32"); // behave as on a GCC 12 system even where GCC 13 is installed

            Assert.Equal(PatchOutcome.Patched, VersionNeedPatcher.Patch(target, provided));
            Assert.True(ElfImage.Load(target).Needs.Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak);
            Assert.False(ElfImage.Load(link).Needs.Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak);
            Assert.Equal(PatchOutcome.AlreadyWeak, VersionNeedPatcher.Patch(target, provided));

            // Exactly two bytes at most may differ from the original: the flags field.
            var after = File.ReadAllBytes(target);
            Assert.Equal(bytes.Length, after.Length);
            Assert.Single(Enumerable.Range(0, bytes.Length), i => bytes[i] != after[i]);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void NonElfFileIsAClearError()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "not a library");
            var e = Assert.Throws<ElfFormatException>(() => ElfImage.Load(file));
            Assert.Contains(file, e.Message);
            Assert.Contains("ELF", e.Message);
        }
        finally { File.Delete(file); }
    }
}

using System.Diagnostics;
using System.Xml.Linq;
using TestUtilities;

namespace SampleHost.Tests.Foundation;

/// <summary>The layout the features stand on: which project may use which, and the solution-wide rules.</summary>
public class LayoutTests
{
    private static IEnumerable<string> Projects(string folder) =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, folder), "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"));

    private static string Name(string csproj) => Path.GetFileNameWithoutExtension(csproj);

    /// <summary>The projects <paramref name="csproj"/> compiles against (references that reference an assembly).</summary>
    private static List<string> CompilesAgainst(string csproj) =>
        XDocument.Load(csproj).Descendants("ProjectReference")
            .Where(r => (string?)r.Attribute("ReferenceOutputAssembly") != "false")
            .Select(r => Name((string)r.Attribute("Include")!)).Order().ToList();

    [Fact]
    public void TheProjectGraphIsEngineWorldHostPlugin()
    {
        var src = Projects("src").ToDictionary(Name, CompilesAgainst);
        Assert.Equal([], src["DiffusionEngine"]);
        Assert.Equal(["DiffusionEngine"], src["ShapesWorld"]);
        Assert.Equal(["DiffusionEngine", "Host.Abstractions"], src["SampleHost.Host"]);
        Assert.Equal(["DiffusionEngine", "SampleHost.Host"], src["SampleHost.Web"]);
        Assert.Equal(["DiffusionEngine", "SampleHost.Host", "SampleHost.Web", "ShapesWorld"], src["SampleHost.Cli"]);
        Assert.Equal(["SampleHost.Cli", "SampleHost.Host"], src["SampleHost"]);
        Assert.Equal(["Host.Abstractions"], src["EsdPlugin"]);
        Assert.Equal([], src["Host.Abstractions"]);
        // The engine's packages: TorchSharp, ImageSharp and the one JSON library.
        var enginePackages = XDocument.Load(Projects("src").Single(p => Name(p) == "DiffusionEngine"))
            .Descendants("PackageReference").Select(r => (string)r.Attribute("Include")!).Order().ToList();
        Assert.Equal(["Newtonsoft.Json", "SixLabors.ImageSharp", "TorchSharp"], enginePackages);
    }

    [Fact]
    public void NothingCompilesAgainstTheExecutable()
    {
        foreach (var csproj in Projects("src").Concat(Projects("tests")).Concat(Projects("bench")))
            Assert.DoesNotContain("SampleHost", CompilesAgainst(csproj)); // process tests may build it (ReferenceOutputAssembly false)
    }

    [Fact]
    public void InternalsAreVisibleOnlyToAComponentsOwnTestsAndBenches()
    {
        var srcNames = Projects("src").Select(Name).ToHashSet();
        var allowed = new Dictionary<string, string[]>
        {
            ["DiffusionEngine"] = ["DiffusionEngine.Tests", "EngineBench"],
            ["ShapesWorld"] = ["ShapesWorld.Tests"],
            ["SampleHost.Host"] = ["SampleHost.Tests"],
            ["SampleHost.Cli"] = ["SampleHost.Tests"],
            ["SampleHost.Web"] = ["SampleHost.Web.Tests"],
            ["EsdPlugin"] = ["EsdPlugin.Tests", "EsdBench"],
        };
        foreach (var csproj in Projects("src"))
        {
            var friends = XDocument.Load(csproj).Descendants("InternalsVisibleTo").Select(i => (string)i.Attribute("Include")!).ToList();
            Assert.DoesNotContain(friends, srcNames.Contains);
            Assert.All(friends, f => Assert.Contains(f, allowed.GetValueOrDefault(Name(csproj), [])));
        }
    }

    [Fact]
    public void FilesAreWrittenAtomicallyByOneHelper()
    {
        // Rename-into-place is AtomicFile's job alone; everything else calls it (plugins through ITensorFiles).
        var movers = SourceFiles("src").Where(f => File.ReadAllText(f).Contains("File.Move(", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(RepoPaths.Root, f).Replace('\\', '/')).ToList();
        Assert.Equal(["src/DiffusionEngine/IO/AtomicFile.cs"], movers);
    }

    [Fact]
    public void OneJsonLibrary()
    {
        var other = SourceFiles("src").Concat(SourceFiles("tests")).Concat(SourceFiles("bench"))
            .Where(f => File.ReadAllText(f).Contains("using System.Text." + "Json", StringComparison.Ordinal)).ToList();
        Assert.Empty(other);
    }

    [LinuxFact("reads hard-link counts with stat(1)")]
    public void OutputsHoldCopiesOfOurAssembliesNotLinks()
    {
        // A hard link shares the file a rebuild rewrites in place: the code under a running studio would change.
        var studio = Path.GetDirectoryName(RepoPaths.StudioDll)!;
        string[] ours = ["studio.dll", "SampleHost.Host.dll", "SampleHost.Cli.dll", "DiffusionEngine.dll", "ShapesWorld.dll", "Host.Abstractions.dll",
                         Path.Combine("plugins", "EsdPlugin", "EsdPlugin.dll")];
        foreach (var file in ours.Select(f => Path.Combine(studio, f))
                     .Concat(new[] { "SampleHost.Host.dll", "DiffusionEngine.dll", "TestUtilities.dll" }.Select(f => Path.Combine(AppContext.BaseDirectory, f))))
            Assert.True(LinkCount(file) == 1, $"{file} has {LinkCount(file)} links: it shares its bytes with another build output");
        // Package files may be linked from the NuGet cache (it never rewrites them): LibTorch is ~600 MB a copy.
        Assert.True(LinkCount(Path.Combine(studio, "runtimes", "linux-x64", "native", "libtorch_cpu.so")) >= 1);
    }

    private static int LinkCount(string path)
    {
        Assert.True(File.Exists(path), $"{path} not built");
        var psi = new ProcessStartInfo("stat", ["-c", "%h", path]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return int.Parse(text.Trim());
    }

    private static IEnumerable<string> SourceFiles(string folder) =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));
}

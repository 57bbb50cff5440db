namespace TestUtilities;

/// <summary>Locations of the repository, its committed test data and the studio executable's build output.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration these tests were built with (Debug/Release).</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    /// <summary>tests/data: fixtures committed with the tests.</summary>
    public static string TestData => Path.Combine(Root, "tests", "data");

    /// <summary>The bundled model the product ships (models/tiny-shapes).</summary>
    public static string BundledModel => Path.Combine(Root, "models", "tiny-shapes");

    /// <summary>The engine's product data as it lands in every output (data/clip-bpe, data/sd15-configs).</summary>
    public static string ProductData => Path.Combine(AppContext.BaseDirectory, "data");

    /// <summary>SD 1.5's published component configs (product data).</summary>
    public static string Sd15Configs => Path.Combine(ProductData, "sd15-configs");
    public static string SdxlConfigs => Path.Combine(ProductData, "sdxl-configs");

    /// <summary>The CLIP BPE vocabulary (product data).</summary>
    public static string ClipBpe => Path.Combine(ProductData, "clip-bpe");

    public static string ProjectOutput(string projectDir) =>
        Path.Combine(Root, projectDir, "bin", Configuration, "net10.0");

    /// <summary>The studio executable in its own build output (with plugins/ beside it), as a user runs it.</summary>
    public static string StudioDll => Path.Combine(ProjectOutput(Path.Combine("src", "SampleHost")), "studio.dll");

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Plugins.sln"))) return d.FullName;
        throw new InvalidOperationException($"Plugins.sln not found above {AppContext.BaseDirectory}");
    }
}

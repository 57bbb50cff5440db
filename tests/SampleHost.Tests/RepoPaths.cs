namespace SampleHost.Tests;

/// <summary>Locations of the repository, its build outputs and the shared data folder beside it.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration these tests were built with (Debug/Release).</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    /// <summary>../shared beside the checkout (data and fixtures that are not committed).</summary>
    public static string Shared { get; } = Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string ProjectOutput(string projectDir) =>
        Path.Combine(Root, projectDir, "bin", Configuration, "net10.0");

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Plugins.sln"))) return d.FullName;
        throw new InvalidOperationException($"Plugins.sln not found above {AppContext.BaseDirectory}");
    }
}

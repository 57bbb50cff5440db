namespace SampleHost.Hosting;

/// <summary>Where the studio keeps its data between sessions.</summary>
public static class StudioPaths
{
    public const string DataFolderVariable = "STUDIO_DATA_DIR";

    /// <summary>$STUDIO_DATA_DIR, else the user's local application data folder + "studio".</summary>
    public static string DataFolder =>
        Environment.GetEnvironmentVariable(DataFolderVariable) is { Length: > 0 } d ? Path.GetFullPath(d)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "studio");
}

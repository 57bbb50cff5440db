namespace SampleHost.Tests;

/// <summary>Runs the built studio program as a user would, in a separate process, with no extra plugins.</summary>
internal static class Studio
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args) => Plugins.StudioProcess.Run(null, args);
}

using SampleHost.Cli.Verbs;
using SampleHost.Hosting;

namespace SampleHost.Cli;

/// <summary>The command-line front end: the studio's verbs over the host services.</summary>
public static class StudioCommandLine
{
    /// <summary>Runs one command line; returns the process exit code (0 ok, 1 error, 2 usage, 130 cancelled).</summary>
    public static Task<int> RunAsync(StudioHost host, string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel) =>
        new CommandLine("studio", [
            VersionVerb.Create(),
            PluginsVerb.Create(host),
            MenuVerb.Create(host),
            RunVerb.Create(host),
            RunVerb.Export(host),
            ModelInspectVerb.Create(),
            ModelProbeVerb.Create(),
            TokenizeVerb.Create(),
            GenerateVerb.Create(host),
            ServeVerb.Create(host),
            WorldTrainVerb.Create(),
            EvalVerb.Create(),
            EraseVerb.Create(host),
            AttackVerb.Create(host),
            ProjectVerb.New(),
            ProjectVerb.Show(),
            ProjectVerb.Block(),
            ProjectVerb.Unblock(),
        ]).RunAsync(args, stdout, stderr, cancel);
}

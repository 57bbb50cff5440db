using Microsoft.Extensions.Logging;
using SampleHost.Cli;
using SampleHost.Models;
using SampleHost.Projects;
using SampleHost.Runtime;
using SampleHost.Verbs;

var verbose = args.Contains("--verbose");
args = args.Where(a => a != "--verbose").ToArray();
using var loggerFactory = Logging.Create(verbose);

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C asks the running work to stop cleanly; a second one ends the process.
    if (cancel.IsCancellationRequested) return;
    e.Cancel = true;
    cancel.Cancel();
};

using var models = new ModelCache(StudioModel.Load, capacity: 1, loggerFactory.CreateLogger<ModelCache>());
var projects = new ProjectService(loggerFactory.CreateLogger<ProjectService>());
using var host = new StudioHost(loggerFactory, models, projects);

var commandLine = new CommandLine("studio", [
    VersionVerb.Create(),
    PluginsVerb.Create(host),
    MenuVerb.Create(host),
    RunVerb.Create(host),
    ModelInspectVerb.Create(),
    ModelProbeVerb.Create(),
    TokenizeVerb.Create(),
    GenerateVerb.Create(host),
    WorldTrainVerb.Create(),
    EvalVerb.Create(),
    EraseVerb.Create(host),
    ProjectVerb.New(),
    ProjectVerb.Show(),
    ProjectVerb.Block(),
    ProjectVerb.Unblock(),
]);

try
{
    return await commandLine.RunAsync(args, Console.Out, Console.Error, cancel.Token);
}
catch (Exception e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    loggerFactory.CreateLogger("studio").LogError(e, "unhandled error");
    return 1;
}
finally
{
    Logging.Shutdown();
}

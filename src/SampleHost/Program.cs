using Microsoft.Extensions.Logging;
using SampleHost.Cli;
using SampleHost.LoadedModels;
using SampleHost.Projects;
using SampleHost.Hosting;

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

try
{
    return await StudioCommandLine.RunAsync(host, args, Console.Out, Console.Error, cancel.Token);
}
catch (Exception e)
{
    Console.Error.WriteLine($"error: {ConsoleText.Escape(e.Message, keepLineBreaks: true)}");
    loggerFactory.CreateLogger("studio").LogError(e, "unhandled error");
    return 1;
}
finally
{
    Logging.Shutdown();
}

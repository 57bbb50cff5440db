using Microsoft.Extensions.Logging;
using SampleHost.Cli;
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

var commandLine = new CommandLine("studio", [
    VersionVerb.Create(),
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

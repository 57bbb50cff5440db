using Microsoft.Extensions.Logging;
using SampleHost.Cli;
using SampleHost.Commands;
using SampleHost.Plugins;
using SampleHost.Hosting;

namespace SampleHost.Cli.Verbs;

/// <summary>
/// <c>studio run &lt;command-id&gt; [--preview file] [--&lt;parameter&gt; &lt;value&gt;...]</c>: runs a registered command
/// with a progress bar on stderr. Exit codes: 0 done, 2 bad parameters or unknown command, 130 cancelled (Ctrl+C),
/// 1 the command failed.
/// </summary>
internal static class RunVerb
{
    public static Verb Create(StudioHost host, TextWriter? stdout = null, TextWriter? stderr = null) => Create(host, null, stdout, stderr);

    /// <summary>
    /// <c>studio export</c>: the plugin command that writes an edited model (esd.export-model), as a verb of its own;
    /// its parameters as for <c>studio run esd.export-model</c>.
    /// </summary>
    public static Verb Export(StudioHost host) => Create(host, ("export", "esd.export-model",
        "Write the model with an ESD edit baked in (the plugin's esd.export-model): --delta <name> --format single-file|diffusers --out <path> [--overwrite]."), null, null);

    private static Verb Create(StudioHost host, (string Name, string CommandId, string Description)? fixedCommand, TextWriter? stdout, TextWriter? stderr) => new()
    {
        Name = fixedCommand?.Name ?? "run",
        Description = fixedCommand?.Description ?? "Run a plugin command by id (see 'studio menu'); its parameters are given as --<name> <value>.",
        Arguments = fixedCommand is null ? [new ArgumentSpec("command-id", "the command to run, e.g. esd.about")] : [],
        Options =
        [
            new OptionSpec("preview", "save the latest preview image the command reports to this PNG file"),
            HostSelection.ModelOption("the command works on it (default: the project's base model)"),
            HostSelection.ConfigOption,
            new OptionSpec("project", "open this project first (its blocklist, its base model)"),
            new OptionSpec("device", "cpu, cuda, cuda:N or auto"),
            new OptionSpec("dtype", "float32, float16 or bfloat16", "float32"),
        ],
        AllowExtraOptions = true,
        Handler = (args, cancel) => RunAsync(host, fixedCommand?.CommandId ?? args.Arg("command-id"), args, stdout ?? Console.Out, stderr ?? Console.Error, cancel),
    };

    private static async Task<int> RunAsync(StudioHost host, string id, ParsedArgs args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var plugins = host.Plugins;
        var command = host.Commands.Find(id);
        if (command is null)
        {
            if (plugins.FirstOrDefault(p => p.Status != PluginStatus.Active && p.Manifest?.Commands.Contains(id) == true) is { } owner)
            {
                stderr.WriteLine(ConsoleText.Escape($"error: command '{id}' belongs to plugin '{owner.Id}', which is {owner.Status.Text()}: {owner.Reason}"));
                return 1;
            }
            throw new UsageException($"unknown command '{id}' (see 'studio menu' for the commands there are)");
        }

        HostSelection.Apply(host, args);

        string? preview = null;
        if (args.Get("preview") is { } p)
        {
            preview = Path.GetFullPath(p);
            if (Path.GetDirectoryName(preview) is { } dir && !Directory.Exists(dir))
                throw new UsageException($"--preview: folder {dir} does not exist");
        }

        var interactive = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
        var progress = new ConsoleProgress(stderr, interactive, preview, host.Logging.CreateLogger("run"));
        var outcome = await host.Runner.RunAsync(command, args.Extra, progress, cancel);
        progress.Finish();

        switch (outcome.Kind)
        {
            case CommandOutcomeKind.Succeeded:
                stdout.WriteLine(outcome.Result!.Message);
                foreach (var file in outcome.Result.Files) stdout.WriteLine(file);
                break;
            case CommandOutcomeKind.InvalidArguments:
                stderr.WriteLine($"error: {ConsoleText.Escape(outcome.Error, keepLineBreaks: true)}");
                CommandHelp.Write(command.Definition, stderr);
                break;
            case CommandOutcomeKind.Cancelled:
                stderr.WriteLine("cancelled");
                break;
            default:
                stderr.WriteLine($"error: {ConsoleText.Escape(outcome.Error, keepLineBreaks: true)}");
                break;
        }
        return outcome.ExitCode;
    }
}

using SampleHost.Cli;
using SampleHost.Projects;
using SampleHost.Hosting;

namespace SampleHost.Cli.Verbs;

/// <summary>
/// The host options shared by verbs that work on a model: --project opens a project, --model (or the project's
/// base model; --config for a single file's configs) with --device and --dtype selects the model the cache leases. The model is selected before the
/// project opens, so that plugins reacting to the project see the right model.
/// </summary>
internal static class HostSelection
{
    public static OptionSpec ModelOption(string defaultText) =>
        new("model", $"model folder (diffusers layout) or single-file checkpoint (.safetensors); {defaultText}");

    public static readonly OptionSpec ConfigOption =
        new("config", "for a single-file checkpoint: the diffusers folder whose configs describe it (default: its family's published configs, SD 1.5's or SDXL base 1.0's)");

    public static void Apply(StudioHost host, ParsedArgs args)
    {
        var projectDir = args.Get("project");
        var settings = projectDir is null ? null : ProjectFile.Read(projectDir);
        var project = settings is null ? null : new Project(Path.GetFullPath(projectDir!), settings);
        var folder = args.Get("model") ?? project?.BaseModel;
        if (folder is not null)
        {
            if (!File.Exists(folder) && !Directory.Exists(folder))
                throw new UsageException($"--model {folder}: no such model folder or checkpoint file");
            try { host.ModelCache.Select(folder, args.Device(), args.Dtype(), args.Get("config")); }
            catch (ArgumentException e) when (e.ParamName == "config") { throw new UsageException($"--config: {e.Message.Split(" (Parameter")[0]}"); }
        }
        else if (args.Has("config"))
            throw new UsageException("--config applies to a single-file checkpoint given with --model");
        _ = host.Plugins; // plugins register their guards and project handlers when they load
        if (project is not null) host.ProjectService.Open(project.Folder);
    }
}

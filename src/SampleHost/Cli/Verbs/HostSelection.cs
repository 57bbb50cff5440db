using SampleHost.Cli;
using SampleHost.Projects;
using SampleHost.Hosting;

namespace SampleHost.Cli.Verbs;

/// <summary>
/// The host options shared by verbs that work on a model: --project opens a project, --model (or the project's
/// base model) with --device and --dtype selects the model the cache leases. The model is selected before the
/// project opens, so that plugins reacting to the project see the right model.
/// </summary>
internal static class HostSelection
{
    public static void Apply(StudioHost host, ParsedArgs args)
    {
        var projectDir = args.Get("project");
        var settings = projectDir is null ? null : ProjectFile.Read(projectDir);
        var project = settings is null ? null : new Project(Path.GetFullPath(projectDir!), settings);
        var folder = args.Get("model") ?? project?.BaseModel;
        if (folder is not null)
            host.ModelCache.Select(folder, args.Device(), args.Dtype());
        _ = host.Plugins; // plugins register their guards and project handlers when they load
        if (project is not null) host.ProjectService.Open(project.Folder);
    }
}

using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using SampleHost.Cli;
using SampleHost.Projects;

namespace SampleHost.Cli.Verbs;

/// <summary>The <c>project</c> verbs: create a project folder, show it, and edit its concept blocklist.</summary>
internal static class ProjectVerb
{
    private static readonly ArgumentSpec Folder = new("dir", "the project folder (holding project.json)");

    public static Verb New() => new()
    {
        Name = "project new",
        Description = "Create a project: a folder with a project.json (name, base model, blocklist, output folder).",
        Arguments = [Folder],
        Options =
        [
            new OptionSpec("name", "the project's display name", Required: true),
            new OptionSpec("base-model", "the model folder to generate with (stored relative to the project folder)"),
            new OptionSpec("output", "where generated images go, relative to the project folder", Default: Project.DefaultOutputFolder),
        ],
        Handler = (args, _) => Guarded(() =>
        {
            var folder = args.Arg("dir");
            var name = args.Require("name");
            if (string.IsNullOrWhiteSpace(name)) throw new UsageException("--name must not be empty");
            var project = ProjectService.Create(folder, new ProjectSettings(
                name, RelativeToProject(folder, args.Get("base-model")), [], args.Get("output")));
            Console.WriteLine($"created project '{E(project.Name)}' in {E(project.Folder)}");
            return 0;
        }),
    };

    public static Verb Show() => new()
    {
        Name = "project show",
        Description = "Show a project's settings and blocklist.",
        Arguments = [Folder],
        Options = [new OptionSpec("json", "print JSON (paths resolved to full paths)", IsFlag: true)],
        Handler = (args, _) => Guarded(() =>
        {
            var project = new Project(args.Arg("dir"), ProjectFile.Read(args.Arg("dir")));
            if (args.Flag("json"))
            {
                var json = new JObject
                {
                    ["name"] = project.Name,
                    ["folder"] = project.Folder,
                    ["baseModel"] = project.BaseModel,
                    ["outputFolder"] = project.OutputFolder,
                    ["blocklist"] = new JArray(project.Blocklist.ToArray<object>()),
                };
                Console.WriteLine(json.ToString(Formatting.Indented));
                return 0;
            }
            Console.WriteLine($"project   {E(project.Name)}");
            Console.WriteLine($"folder    {E(project.Folder)}");
            Console.WriteLine($"model     {E(project.BaseModel ?? "(not set)")}");
            Console.WriteLine($"output    {E(project.OutputFolder)}");
            Console.WriteLine($"blocklist {(project.Blocklist.Count == 0 ? "(empty)" : E(string.Join(", ", project.Blocklist)))}");
            return 0;
        }),
    };

    public static Verb Block() => new()
    {
        Name = "project block",
        Description = "Add a concept to a project's blocklist (spacing and case do not matter).",
        Arguments = [Folder, new ArgumentSpec("concept", "the concept, e.g. \"star\" (quote it when it has spaces)")],
        Handler = (args, _) => Guarded(() => Edit(args, block: true)),
    };

    public static Verb Unblock() => new()
    {
        Name = "project unblock",
        Description = "Remove a concept from a project's blocklist.",
        Arguments = [Folder, new ArgumentSpec("concept", "the concept as blocked (spacing and case do not matter)")],
        Handler = (args, _) => Guarded(() => Edit(args, block: false)),
    };

    private static int Edit(ParsedArgs args, bool block)
    {
        var concept = BlocklistConcepts.Normalize(args.Arg("concept"));
        if (concept.Length == 0) throw new UsageException("<concept> must not be empty");
        var projects = new ProjectService();
        var project = projects.Open(args.Arg("dir"));
        if (block)
        {
            Console.WriteLine(projects.Block(concept)
                ? $"blocked '{E(concept)}' in project '{E(project.Name)}'"
                : $"'{E(concept)}' is already blocked in project '{E(project.Name)}'");
            return 0;
        }
        if (projects.Unblock(concept))
        {
            Console.WriteLine($"unblocked '{E(concept)}' in project '{E(project.Name)}'");
            return 0;
        }
        Console.Error.WriteLine($"error: '{E(concept)}' is not in the blocklist of project '{E(project.Name)}'");
        return 1;
    }

    private static string E(string text) => ConsoleText.Escape(text);

    /// <summary>A path given relative to the working directory, re-expressed relative to the project folder.</summary>
    private static string? RelativeToProject(string projectFolder, string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return null;
        if (Path.IsPathRooted(path)) return path;
        return Path.GetRelativePath(Path.GetFullPath(projectFolder), Path.GetFullPath(path));
    }

    private static Task<int> Guarded(Func<int> run)
    {
        try
        {
            return Task.FromResult(run());
        }
        catch (ProjectFileException e)
        {
            Console.Error.WriteLine($"error: {E(e.Message)}");
            return Task.FromResult(1);
        }
    }
}

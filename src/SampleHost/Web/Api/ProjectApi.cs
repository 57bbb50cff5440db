using System.Text.RegularExpressions;
using Host.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SampleHost.Projects;
using SampleHost.Web.Jobs;

namespace SampleHost.Web.Api;

/// <summary>
/// Projects: create (in the projects folder) or open one, edit its blocklist, and see whether the live model satisfies
/// it. Opening a project, or changing its blocklist, lets the guards prepare the model at once (swap the project's safe
/// checkpoint in, or restore the original for a project without a blocklist), as the next generation would.
/// </summary>
internal static partial class ProjectApi
{
    public sealed record CreateRequest(string? Name, List<string>? Blocklist);
    public sealed record OpenRequest(string? Folder);
    public sealed record ConceptRequest(string? Concept);

    public static void Map(WebApplication app, StudioWeb web)
    {
        app.MapGet("/api/projects", async (CancellationToken cancel) =>
        {
            var root = web.Roots.Root(StudioWeb.Projects);
            var projects = Directory.EnumerateDirectories(root).Where(ProjectFile.ExistsIn).Order(StringComparer.Ordinal).Select(folder =>
            {
                try
                {
                    var s = ProjectFile.Read(folder);
                    return (object)new { folder = web.Roots.Relative(folder, StudioWeb.Projects), name = s.Name, blocklist = s.Blocklist };
                }
                catch (Exception e) when (e is ProjectFileException or IOException)
                {
                    return new { folder = web.Roots.Relative(folder, StudioWeb.Projects), name = Path.GetFileName(folder), error = e.Message };
                }
            }).ToList();
            var active = web.Host.ProjectService.ActiveProject;
            return JsonBody.Result(new
            {
                root, projects,
                active = active is null ? null : new
                {
                    folder = web.Roots.Contains(active.Folder) ? web.Roots.Relative(active.Folder, StudioWeb.Projects) : active.Folder,
                    name = active.Name, blocklist = active.Blocklist, status = await Status(web, active, cancel),
                },
            });
        });

        app.MapPost("/api/projects", async (HttpRequest http) =>
        {
            var body = await JsonBody.ReadAsync<CreateRequest>(http);
            var name = body.Name?.Trim() ?? "";
            if (name.Length is 0 or > 100)
                return JsonBody.Result(new { error = "some values are not accepted", fields = new { name = "a project needs a name of 1..100 characters" } }, statusCode: 400);
            var folder = FreeFolder(web.Roots.Root(StudioWeb.Projects), name);
            var model = web.Host.ModelCache.ActiveKey?.Folder;
            var blocklist = (body.Blocklist ?? []).Select(c => c.Trim()).Where(c => c.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            ProjectService.Create(folder, new ProjectSettings(name, model is null ? null : Path.GetRelativePath(folder, model), blocklist, null));
            return Open(web, folder);
        });

        app.MapPost("/api/projects/open", async (HttpRequest http) =>
        {
            var body = await JsonBody.ReadAsync<OpenRequest>(http);
            var folder = web.Roots.Resolve(body.Folder ?? "", StudioWeb.Projects);
            if (!ProjectFile.ExistsIn(folder)) throw new FileNotFoundException($"no project in '{body.Folder}'");
            return Open(web, folder);
        });

        app.MapPost("/api/projects/close", () =>
        {
            web.Host.ProjectService.Close();
            return Prepare(web, "Close project");
        });

        app.MapPost("/api/projects/block", async (HttpRequest http) => ChangeBlocklist(web, (await JsonBody.ReadAsync<ConceptRequest>(http)).Concept, add: true));
        app.MapPost("/api/projects/unblock", async (HttpRequest http) => ChangeBlocklist(web, (await JsonBody.ReadAsync<ConceptRequest>(http)).Concept, add: false));
    }

    private static IResult ChangeBlocklist(StudioWeb web, string? concept, bool add)
    {
        if (string.IsNullOrWhiteSpace(concept))
            return JsonBody.Result(new { error = "some values are not accepted", fields = new { concept = "name a concept" } }, statusCode: 400);
        bool changed = add ? web.Host.ProjectService.Block(concept) : web.Host.ProjectService.Unblock(concept);
        if (!changed) return JsonBody.Result(new { changed });
        return Prepare(web, add ? $"Block “{concept.Trim()}”" : $"Unblock “{concept.Trim()}”");
    }

    private static IResult Open(StudioWeb web, string folder)
    {
        var project = web.Host.ProjectService.Open(folder);
        // The project's base model, when it is one of the models offered here.
        if (project.BaseModel is { } baseModel && web.Roots.Contains(baseModel) && (Directory.Exists(baseModel) || File.Exists(baseModel)))
            web.Host.ModelCache.Select(baseModel, TorchSharp.torch.device(web.Options.Device), web.Options.Dtype);
        return Prepare(web, $"Open project “{project.Name}”");
    }

    /// <summary>A job that asks the guards about the open project now, so that they prepare the model for it.</summary>
    private static IResult Prepare(StudioWeb web, string title)
    {
        web.Board.StateChanged();
        if (web.Host.ModelCache.ActiveKey is not { } key)
            return JsonBody.Result(new { prepared = false, reason = "no model is chosen" });
        var job = web.Board.Start("command", title, async (job, cancel) =>
        {
            var project = web.Host.ProjectService.ActiveProject;
            var decision = await web.Host.ProjectService.CheckGenerationAsync(new GenerationRequest(key.Folder, [], project), cancel);
            if (decision.Allowed) job.Finish(JobState.Succeeded, decision.Message ?? (project is null ? "no project is open" : $"'{project.Name}' may generate with the live model"));
            else job.Finish(JobState.Refused, decision.Message ?? "refused", remedy: decision.Remedy);
        });
        return JsonBody.Result(web.Board.Snapshot(job), statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>Whether the live model satisfies the project (the guards' preview; "busy" while a training holds the model).</summary>
    private static async Task<object> Status(StudioWeb web, Project project, CancellationToken cancel)
    {
        var key = web.Host.ModelCache.ActiveKey;
        if (key is null) return new { known = false, message = "no model is chosen" };
        if (web.Host.ModelCache.IsExclusivelyLeased(key) || web.Host.ModelCache.PeekLoaded(key) is null)
            return new { known = false, message = web.Host.ModelCache.PeekLoaded(key) is null ? "the model is not loaded yet" : "the model is busy (a command is changing it)" };
        var decision = await web.Host.ProjectService.PreviewBlocklistAsync(key.Folder, project, cancel);
        return decision is null
            ? new { known = false, message = "the guards cannot tell before a generation" }
            : new
            {
                known = true, satisfied = decision.Allowed, message = decision.Message,
                remedy = decision.Remedy is null ? null : new { command = decision.Remedy.CommandId, arguments = decision.Remedy.Arguments },
            };
    }

    /// <summary>A new folder under the projects folder named after the project (letters, digits and dashes; -2, -3 when taken).</summary>
    private static string FreeFolder(string root, string name)
    {
        var slug = NonWord().Replace(name.ToLowerInvariant(), "-").Trim('-');
        if (slug.Length == 0) slug = "project";
        if (slug.Length > 60) slug = slug[..60].TrimEnd('-');
        var folder = Path.Combine(root, slug);
        for (int i = 2; Directory.Exists(folder); i++) folder = Path.Combine(root, $"{slug}-{i}");
        return folder;
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonWord();
}

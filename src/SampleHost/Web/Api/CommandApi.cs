using Host.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SampleHost.Commands;
using SampleHost.Web.Jobs;

namespace SampleHost.Web.Api;

/// <summary>
/// The menu bar (host items and plugin commands in the host's order, each command with its parameters for the dialog)
/// and running a command as a job: arguments checked by the command line's rules, each problem named by its field.
/// </summary>
internal static class CommandApi
{
    public sealed record RunRequest(Dictionary<string, string>? Arguments);

    public static void Map(WebApplication app, StudioWeb web)
    {
        app.MapGet("/api/menu", () => JsonBody.Result(new { menus = Menus(web.Host.Menu()) }));

        app.MapPost("/api/commands/{id}/run", async (string id, HttpRequest http) =>
        {
            var body = await JsonBody.ReadAsync<RunRequest>(http);
            var command = web.Host.Commands.Find(id) ?? throw new KeyNotFoundException($"no command '{id}' (see the menus)");
            var given = (body.Arguments ?? []).Where(kv => kv.Value is { Length: > 0 }).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            var problems = new Dictionary<string, string>(CommandArguments.Problems(command.Definition, given), StringComparer.Ordinal);
            foreach (var p in command.Definition.Parameters)
                if (given.TryGetValue(p.Name, out var value) && !problems.ContainsKey(p.Name) && PathProblem(web, p, value) is { } why)
                    problems[p.Name] = why;
            if (problems.Count > 0)
                return JsonBody.Result(new { error = "some values are not accepted", fields = problems }, statusCode: StatusCodes.Status400BadRequest);
            var job = web.Board.Start("command", command.Definition.Title, async (job, cancel) =>
            {
                job.Start();
                var outcome = await web.Host.Runner.RunAsync(command, given, new JobProgress(job), cancel);
                var files = outcome.Result?.Files ?? [];
                switch (outcome.Kind)
                {
                    case CommandOutcomeKind.Succeeded: job.Finish(JobState.Succeeded, outcome.Result!.Message, files); break;
                    case CommandOutcomeKind.Cancelled: job.Finish(JobState.Cancelled, outcome.Error ?? "cancelled"); break;
                    default: job.Finish(JobState.Failed, outcome.Error ?? "failed"); break;
                }
            });
            return JsonBody.Result(web.Board.Snapshot(job), statusCode: StatusCodes.Status202Accepted);
        });
    }

    /// <summary>
    /// A path a command would read or write must lie inside the studio's folders: Path parameters always, and text
    /// values that are paths (a delta given as a file).
    /// </summary>
    private static string? PathProblem(StudioWeb web, CommandParameter p, string value)
    {
        if (p.Kind == ParameterKind.TextList)
            return value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(item => OutsideTheRoots(web, item, p.Kind)).FirstOrDefault(why => why is not null);
        return OutsideTheRoots(web, value, p.Kind);
    }

    private static string? OutsideTheRoots(StudioWeb web, string value, ParameterKind kind)
    {
        bool looksLikePath = kind == ParameterKind.Path || value.Contains('/') || value.Contains('\\') || value.StartsWith("..", StringComparison.Ordinal)
                             || value.StartsWith('~');
        if (!looksLikePath) return null;
        var full = Path.GetFullPath(value);
        return web.Roots.Contains(full) ? null : $"the path '{value}' is outside the studio's folders";
    }

    private static List<object> Menus(MenuNode root) => root.Children.Select(Node).ToList();

    private static object Node(MenuNode node)
    {
        if (node.Command is { } c)
            return new
            {
                label = node.Label, kind = "command", id = c.Id, owner = c.Owner, title = c.Definition.Title, description = c.Definition.Description,
                parameters = c.Definition.Parameters.Select(Parameter).ToList(),
            };
        if (node.HostItem is { } h)
            return new { label = node.Label, kind = "host", id = h.Verb, title = node.Label };
        return new { label = node.Label, kind = "menu", items = node.Children.Select(Node).ToList() };
    }

    private static object Parameter(CommandParameter p) => new
    {
        name = p.Name, kind = p.Kind.ToString().ToLowerInvariant(), description = p.Description, required = p.Required,
        @default = p.Default switch
        {
            null => null,
            bool b => b ? "true" : "false",
            IEnumerable<string> list when p.Default is not string => string.Join(", ", list),
            IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            var other => other.ToString(),
        },
        choices = p.Choices, minimum = p.Minimum, maximum = p.Maximum,
    };
}

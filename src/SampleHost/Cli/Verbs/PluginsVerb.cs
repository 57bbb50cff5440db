using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using SampleHost.Cli;
using SampleHost.Plugins;
using SampleHost.Hosting;

namespace SampleHost.Cli.Verbs;

/// <summary><c>studio plugins [--json]</c>: every plugin found, its status and why.</summary>
internal static class PluginsVerb
{
    public static Verb Create(StudioHost host, TextWriter? stdout = null) => new()
    {
        Name = "plugins",
        Description = "List the plugins found (plugins/ beside the program and $STUDIO_PLUGINS_DIR): id, name, version, folder, status and reason.",
        Options = [new OptionSpec("json", "print a JSON array instead of text", IsFlag: true)],
        Handler = (args, _) =>
        {
            var output = stdout ?? Console.Out;
            var plugins = host.Plugins;
            if (args.Flag("json")) output.WriteLine(Json(plugins).ToString(Formatting.Indented));
            else Text(plugins, host.PluginManager, output);
            return Task.FromResult(0);
        },
    };

    internal static JArray Json(IReadOnlyList<PluginRecord> plugins) => new(plugins.Select(p => new JObject
    {
        ["id"] = p.Id,
        ["name"] = p.Name,
        ["version"] = p.Version,
        ["folder"] = p.Folder,
        ["status"] = p.Status.Text(),
        ["reason"] = p.Reason,
        ["commands"] = new JArray(p.Commands),
    }));

    private static void Text(IReadOnlyList<PluginRecord> plugins, PluginManager manager, TextWriter output)
    {
        if (plugins.Count == 0)
        {
            output.WriteLine($"no plugins found (searched {string.Join(", ", manager.Roots)})");
            return;
        }
        foreach (var p in plugins)
        {
            output.WriteLine(ConsoleText.Escape(string.Join("  ", new[] { p.Id, p.Name, p.Version, p.Status.Text() }.Where(s => s.Length > 0))));
            output.WriteLine($"    folder    {ConsoleText.Escape(p.Folder)}");
            if (p.Commands.Count > 0) output.WriteLine($"    commands  {ConsoleText.Escape(string.Join(", ", p.Commands))}");
            if (p.Reason is not null) output.WriteLine($"    reason    {ConsoleText.Escape(p.Reason)}");
        }
    }
}

using SampleHost.Cli;
using SampleHost.Commands;
using SampleHost.Hosting;

namespace SampleHost.Cli.Verbs;

/// <summary><c>studio menu</c>: the menu tree, the host's items and every plugin command with its id.</summary>
internal static class MenuVerb
{
    public static Verb Create(StudioHost host, TextWriter? stdout = null) => new()
    {
        Name = "menu",
        Description = "Show the menu: the studio's own items and every plugin command, with the command line that runs each.",
        Handler = (_, _) =>
        {
            MenuTree.Render(host.Menu(), stdout ?? Console.Out, "studio");
            return Task.FromResult(0);
        },
    };
}

using System.Net;
using SampleHost.Hosting;
using SampleHost.Web;

namespace SampleHost.Cli.Verbs;

/// <summary><c>studio serve</c>: the local web studio over the same host services as the command line.</summary>
internal static class ServeVerb
{
    public static Verb Create(StudioHost host) => new()
    {
        Name = "serve",
        Description = "Serve the web studio (menus with every plugin command, jobs with progress, generate, models, projects) until Ctrl+C.",
        Options =
        [
            new OptionSpec("port", "port to listen on (0: a free one)", ServeOptions.DefaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new OptionSpec("host", "address to bind; anything but loopback needs --token", "127.0.0.1"),
            new OptionSpec("token", "a secret of 16+ characters every request must carry (the page takes it once as ?token=)"),
            new OptionSpec("models", "folder of model folders and single-file checkpoints the page offers", "models"),
            new OptionSpec("outputs", "folder for generated images outside projects", "outputs"),
            new OptionSpec("projects", "folder for projects made from the page", "projects"),
            HostSelection.ModelOption("selected at start (default: the first one in --models)"),
            new OptionSpec("device", "cpu, cuda, cuda:N or auto"),
            new OptionSpec("dtype", "float32, float16 or bfloat16", "float32"),
        ],
        Handler = async (args, cancel) =>
        {
            if (!IPAddress.TryParse(args.Require("host"), out var address))
                throw new UsageException($"--host {args.Require("host")}: not an IP address (e.g. 127.0.0.1, ::1, 0.0.0.0)");
            var device = args.Device();
            var options = new ServeOptions
            {
                Address = address, Port = args.Int("port", 0, 65535), Token = args.Get("token"),
                ModelsRoot = Path.GetFullPath(args.Require("models")), OutputsRoot = Path.GetFullPath(args.Require("outputs")),
                ProjectsRoot = Path.GetFullPath(args.Require("projects")), DataRoot = host.PluginManager.DataFolder,
                Device = device.ToString(), Dtype = args.Dtype(),
            };
            if (options.Problem() is { } problem) throw new UsageException(problem);
            if (!Directory.Exists(options.ModelsRoot)) throw new UsageException($"--models {options.ModelsRoot}: no such folder");
            var model = args.Get("model") ?? FirstModel(options.ModelsRoot);
            if (model is not null) host.ModelCache.Select(model, device, options.Dtype);
            _ = host.Plugins;
            return await StudioServer.RunAsync(host, options, Console.Out, cancel);
        },
    };

    private static string? FirstModel(string root) =>
        Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal).FirstOrDefault(d => File.Exists(Path.Combine(d, "model_index.json")));
}

using Host.Abstractions;
using SampleHost.Hosting;
using SampleHost.LoadedModels;
using SampleHost.Web.Jobs;
using SampleHost.Web.Security;

namespace SampleHost.Web;

/// <summary>What the endpoints share: the host services, the options, the folders requests may name and the jobs.</summary>
public sealed class StudioWeb
{
    public const string Models = "models", Outputs = "outputs", Projects = "projects", Data = "data";

    public StudioWeb(StudioHost host, ServeOptions options)
    {
        Host = host;
        Options = options;
        foreach (var folder in new[] { options.ModelsRoot, options.OutputsRoot, options.ProjectsRoot, options.DataRoot }) Directory.CreateDirectory(folder);
        Roots = new WebRoots((Models, options.ModelsRoot), (Outputs, options.OutputsRoot), (Projects, options.ProjectsRoot), (Data, options.DataRoot));
        Board = new JobBoard(FileUrl);
    }

    public StudioHost Host { get; }
    public ServeOptions Options { get; }
    public WebRoots Roots { get; }
    public JobBoard Board { get; }

    /// <summary>The URL that serves an image file inside the roots, or null for anything else.</summary>
    public string? FileUrl(string path) =>
        Roots.Contains(path) && path.EndsWith(".png", StringComparison.OrdinalIgnoreCase)
            ? "/api/images/file?path=" + Uri.EscapeDataString(path)
            : null;

    /// <summary>The active model as it is now, without waiting for a lease (a training may hold the exclusive one).</summary>
    public (ModelKey? Key, ILoadedModel? Loaded) ActiveModel()
    {
        var key = Host.ModelCache.ActiveKey;
        return (key, key is null ? null : Host.ModelCache.PeekLoaded(key));
    }

    /// <summary>The stored edit whose stamp the live weights carry, from any plugin's catalog, or null.</summary>
    public StoredEdit? LiveEdit(ILoadedModel model) =>
        model.Patches.LiveStamp is { } stamp
            ? Host.Commands.EditCatalogs.Select(c => c.Catalog.FindByStamp(stamp)).FirstOrDefault(e => e is not null)
            : null;
}

using TestUtilities;
using Host.Abstractions;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using SampleHost.Plugins;
using SampleHost.Hosting;

namespace SampleHost.Tests.Plugins;

/// <summary>Where the built plugins are beside the tests, and throwaway plugin roots made from them.</summary>
internal static class FixturePlugins
{
    /// <summary>plugins/ in the test output: the studio's bundled plugins (EsdPlugin).</summary>
    public static string BundledRoot { get; } = Path.Combine(Path.GetDirectoryName(RepoPaths.StudioDll)!, "plugins");

    /// <summary>fixture-plugins/ in the test output: ScratchPlugin, OwnCopyPlugin, ThrowingPlugin, LiarPlugin, BadManifest, ...</summary>
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "fixture-plugins");

    public static string Folder(string name) => Path.Combine(Root, name);

    /// <summary>A host over the given roots with an empty model cache and no open project, plugins not yet loaded.</summary>
    public static StudioHost Host(IEnumerable<string> roots, string dataFolder, params string[] disabled) =>
        new(NullLoggerFactory.Instance, new SampleHost.LoadedModels.ModelCache(SampleHost.LoadedModels.StudioModel.Load), new SampleHost.Projects.ProjectService(),
            new PluginSettings(roots.ToList(), disabled.ToHashSet(), dataFolder));
}

/// <summary>A temporary plugin root whose plugin folders are copies of fixtures, with edited manifests.</summary>
internal sealed class PluginSandbox : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("studio-plugins");

    public string Root => Path.Combine(dir.FullName, "plugins");
    public string DataFolder => Path.Combine(dir.FullName, "data");

    /// <summary>Copies a built fixture folder to Root/<paramref name="name"/>, then lets <paramref name="edit"/> change its manifest.</summary>
    public string AddCopy(string fixture, string name, Action<JObject>? edit = null)
    {
        var target = Path.Combine(Root, name);
        CopyFolder(FixturePlugins.Folder(fixture), target);
        if (edit is not null)
        {
            var path = Path.Combine(target, PluginManifest.FileName);
            var manifest = JObject.Parse(File.ReadAllText(path));
            edit(manifest);
            File.WriteAllText(path, manifest.ToString());
        }
        return target;
    }

    /// <summary>A plugin folder holding only the given manifest text.</summary>
    public string AddManifest(string name, string json)
    {
        var target = Path.Combine(Root, name);
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, PluginManifest.FileName), json);
        return target;
    }

    public StudioHost Host(params string[] disabled) => FixturePlugins.Host([Root], DataFolder, disabled);

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from)) CopyFolder(sub, Path.Combine(to, Path.GetFileName(sub)));
    }

    public void Dispose() => dir.Delete(recursive: true);
}

/// <summary>Collects progress reports synchronously, optionally acting on each.</summary>
internal sealed class RecordingProgress(Action<ProgressReport>? onReport = null) : IProgress<ProgressReport>
{
    private readonly List<ProgressReport> reports = [];

    public IReadOnlyList<ProgressReport> Reports
    {
        get { lock (reports) return reports.ToArray(); }
    }

    public void Report(ProgressReport value)
    {
        lock (reports) reports.Add(value);
        onReport?.Invoke(value);
    }
}

using System.Reflection;
using Host.Abstractions;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Logging;
using SampleHost.Commands;

namespace SampleHost.Plugins;

/// <summary>
/// Finds plugin folders, checks their manifests, loads the supported and enabled ones in their own
/// assembly load contexts (sharing the contract, TorchSharp and logging abstractions with the host so that
/// types keep their identity), lets each register its commands, and records every plugin's status.
/// A broken plugin is recorded as such and never stops the others.
/// </summary>
public sealed class PluginManager(
    PluginSettings settings, CommandRegistry commands, ILoggerFactory logging, IModelCache models, IProjects projects) : IDisposable
{
    /// <summary>The studio's data folder (each plugin's own under plugins/&lt;id&gt;).</summary>
    public string DataFolder => settings.DataFolder;

    /// <summary>
    /// Types whose assemblies always come from the host: a plugin that carries its own copy of these still
    /// binds to the host's, so an IPlugin or a Tensor means the same type on both sides.
    /// </summary>
    public static readonly Type[] SharedTypes = [typeof(IPlugin), typeof(TorchSharp.torch), typeof(ILogger)];

    private readonly ILogger logger = logging.CreateLogger("plugins");
    private readonly List<PluginRecord> plugins = [];
    private bool loaded;

    public IReadOnlyList<PluginRecord> Plugins => plugins;

    /// <summary>
    /// Why no plugin guards project blocklists, for the refusal a project with a blocklist then gets: the plugins that
    /// are not active, with their reasons, or that none is installed.
    /// </summary>
    public string WhyNoBlocklistGuard()
    {
        var inactive = plugins.Where(p => p.Status != PluginStatus.Active).Select(p => $"{p.Id} is {p.Status.Text()} ({p.Reason})").ToList();
        return inactive.Count > 0
            ? $"no active plugin enforces blocklists: {string.Join("; ", inactive)}"
            : $"no installed plugin enforces blocklists (plugin folders: {string.Join(", ", settings.Roots)})";
    }

    /// <summary>The folders searched for plugin folders.</summary>
    public IReadOnlyList<string> Roots => settings.Roots;

    /// <summary>Loads every plugin under the settings' roots (subfolders in name order), once.</summary>
    public IReadOnlyList<PluginRecord> LoadAll()
    {
        if (loaded) return plugins;
        loaded = true;
        foreach (var folder in PluginFolders())
        {
            PluginRecord record;
            try { record = Load(folder); }
            catch (Exception e)
            {
                // Anything unforeseen is still this plugin's problem only.
                record = Failed(folder, null, $"loading failed: {e.GetType().Name}: {e.Message}");
            }
            plugins.Add(record);
            Log(record);
        }
        return plugins;
    }

    private IEnumerable<string> PluginFolders()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in settings.Roots.Select(r => Path.GetFullPath(r)).Distinct())
        {
            if (!Directory.Exists(root))
            {
                logger.LogDebug("no plugin folder at {Root}", root);
                continue;
            }
            foreach (var folder in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
                if (seen.Add(folder)) yield return folder;
        }
    }

    private PluginRecord Load(string folder)
    {
        var manifestPath = Path.Combine(folder, PluginManifest.FileName);
        if (!File.Exists(manifestPath)) return Failed(folder, null, $"{manifestPath} not found");

        PluginManifest manifest;
        try { manifest = PluginManifest.Load(manifestPath); }
        catch (PluginManifestException e) { return Failed(folder, null, e.Message); }

        if (plugins.FirstOrDefault(p => p.Manifest?.Id == manifest.Id) is { } twin)
            return Failed(folder, manifest, $"plugin id '{manifest.Id}' is already used by the plugin in {twin.Folder}");
        if (!manifest.Enabled)
            return Record(folder, manifest, PluginStatus.Disabled, $"disabled in {manifestPath} (\"enabled\": false)");
        if (settings.DisabledIds.Contains(manifest.Id))
            return Record(folder, manifest, PluginStatus.Disabled, $"disabled by {PluginSettings.DisabledVariable}");
        if (!manifest.HostApi.Includes(HostApi.Current))
            return Record(folder, manifest, PluginStatus.NotSupported,
                $"needs plugin contract {manifest.HostApi} (manifest.json hostApi); this host implements {HostApi.Current}");

        var assemblyPath = Path.Combine(folder, manifest.EntryAssembly);
        if (!File.Exists(assemblyPath))
            return Failed(folder, manifest, $"entry assembly {assemblyPath} not found (manifest.json entryAssembly)");

        var loader = PluginLoader.CreateFromAssemblyFile(assemblyPath, SharedTypes, config => config.PreferSharedTypes = true);
        var record = Activate(folder, manifest, assemblyPath, loader);
        if (record.Status != PluginStatus.Active) loader.Dispose();
        return record;
    }

    private PluginRecord Activate(string folder, PluginManifest manifest, string assemblyPath, PluginLoader loader)
    {
        Assembly assembly;
        try { assembly = loader.LoadDefaultAssembly(); }
        catch (Exception e) { return Failed(folder, manifest, $"cannot load {assemblyPath}: {e.Message}"); }

        var (type, problem) = EntryType(assembly, manifest);
        if (type is null) return Failed(folder, manifest, problem!);

        IPlugin instance;
        try { instance = (IPlugin)Activator.CreateInstance(type)!; }
        catch (Exception e)
        {
            var inner = e is TargetInvocationException { InnerException: { } ie } ? ie : e;
            return Failed(folder, manifest, $"creating {type.FullName} threw {inner.GetType().Name}: {inner.Message}");
        }

        var staging = new PluginCommandStaging(manifest.Id);
        var projectsStaging = new PluginProjectsStaging(projects);
        var context = new PluginContext(manifest.Id, PluginContext.DataFolderFor(settings.DataFolder, manifest.Id),
            new PluginLoggerFactory(logging, manifest.Id), staging, models, projectsStaging);
        try { instance.Register(context); }
        catch (Exception e)
        {
            logger.LogDebug(e, "{Plugin}: Register threw", manifest.Id);
            return Failed(folder, manifest, $"{type.FullName}.Register threw {e.GetType().Name}: {e.Message}");
        }
        finally { staging.Seal(); }

        var registered = staging.Staged.Select(c => c.Id).ToList();
        var undeclared = registered.Except(manifest.Commands).ToList();
        if (undeclared.Count > 0)
            return Failed(folder, manifest, $"registered command{Plural(undeclared)} {Quoted(undeclared)} that manifest.json does not declare (field 'commands')");
        var missing = manifest.Commands.Except(registered).ToList();
        if (missing.Count > 0)
            return Failed(folder, manifest, $"manifest.json declares command{Plural(missing)} {Quoted(missing)} that the plugin did not register");

        if (staging.CatalogProblems() is { Count: > 0 } catalogProblems)
            return Failed(folder, manifest, $"its edit catalog names command{Plural(catalogProblems)} the plugin did not register: {string.Join(", ", catalogProblems)}");

        try { commands.AddRange(staging.Staged); }
        catch (ArgumentException e) { return Failed(folder, manifest, e.Message); }
        commands.AddEditCatalogs(staging.StagedCatalogs, manifest.Id);
        // Only now, with everything checked, do its guards and project handlers take effect (all or nothing).
        projectsStaging.Commit();

        return new PluginRecord
        {
            Id = manifest.Id, Name = manifest.Name, Version = manifest.Version, Folder = folder, Manifest = manifest,
            Status = PluginStatus.Active, Commands = registered, Loader = loader, Instance = instance,
        };
    }

    /// <summary>The manifest's entryType, else the one IPlugin implementation in the assembly.</summary>
    private static (Type?, string?) EntryType(Assembly assembly, PluginManifest manifest)
    {
        var file = manifest.EntryAssembly;
        if (manifest.EntryType is { } name)
        {
            Type? named;
            try { named = assembly.GetType(name, throwOnError: false); }
            catch (Exception e) { return (null, $"entry type {name} (manifest.json entryType) cannot be loaded from {file}: {e.Message}"); }
            if (named is null) return (null, $"entry type {name} (manifest.json entryType) not found in {file}");
            return Usable(named, file) is { } problem ? (null, problem) : (named, null);
        }

        Type[] types;
        string loadProblem = "";
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e)
        {
            types = e.Types.Where(t => t is not null).ToArray()!;
            loadProblem = e.LoaderExceptions.FirstOrDefault(x => x is not null) is { } first ? $" (some types failed to load: {first.Message})" : "";
        }
        catch (Exception e) { return (null, $"the types of {file} cannot be read: {e.Message}"); }

        var candidates = types.Where(t => t.IsClass && !t.IsAbstract && typeof(IPlugin).IsAssignableFrom(t)).ToList();
        if (candidates.Count == 1) return Usable(candidates[0], file) is { } problem ? (null, problem) : (candidates[0], null);
        if (candidates.Count > 1)
            return (null, $"{file} has several IPlugin implementations ({string.Join(", ", candidates.Select(t => t.FullName))}); name one in manifest.json entryType");
        var foreign = types.Select(ForeignContract).FirstOrDefault(f => f is not null);
        return (null, foreign ?? $"no class implementing {typeof(IPlugin).FullName} in {file}{loadProblem}");
    }

    private static string? Usable(Type type, string file)
    {
        if (!typeof(IPlugin).IsAssignableFrom(type))
            return ForeignContract(type) ?? $"entry type {type.FullName} in {file} does not implement {typeof(IPlugin).FullName}";
        if (type.IsAbstract || !type.IsClass) return $"entry type {type.FullName} in {file} is not a concrete class";
        if (type.GetConstructor(Type.EmptyTypes) is null) return $"entry type {type.FullName} in {file} has no public parameterless constructor";
        return null;
    }

    /// <summary>Explains a type that implements an IPlugin of the same name from another copy of the contract.</summary>
    private static string? ForeignContract(Type type)
    {
        Type[] interfaces;
        try { interfaces = type.GetInterfaces(); }
        catch (Exception) { return null; }
        var other = interfaces.FirstOrDefault(i => i.FullName == typeof(IPlugin).FullName && i != typeof(IPlugin));
        return other is null ? null
            : $"{type.FullName} implements {other.FullName} from another copy of {other.Assembly.GetName().Name} ({other.Assembly.Location}), not the host's";
    }

    private static string Plural(IReadOnlyCollection<string> ids) => ids.Count > 1 ? "s" : "";
    private static string Quoted(List<string> ids) => string.Join(", ", ids.Select(i => $"'{i}'"));

    private static PluginRecord Record(string folder, PluginManifest manifest, PluginStatus status, string reason) => new()
    {
        Id = manifest.Id, Name = manifest.Name, Version = manifest.Version, Folder = folder, Manifest = manifest,
        Status = status, Reason = reason,
    };

    private static PluginRecord Failed(string folder, PluginManifest? manifest, string reason) => manifest is not null
        ? Record(folder, manifest, PluginStatus.Malfunctioned, reason)
        : new PluginRecord
        {
            Id = Path.GetFileName(folder), Name = Path.GetFileName(folder), Version = "", Folder = folder,
            Status = PluginStatus.Malfunctioned, Reason = reason,
        };

    private void Log(PluginRecord p)
    {
        switch (p.Status)
        {
            case PluginStatus.Active:
                logger.LogInformation("plugin {Id} {Version} active from {Folder} ({Count} commands)", p.Id, p.Version, p.Folder, p.Commands.Count);
                break;
            case PluginStatus.Disabled or PluginStatus.NotSupported:
                logger.LogInformation("plugin {Id} {Status}: {Reason}", p.Id, p.Status.Text(), p.Reason);
                break;
            default:
                logger.LogWarning("plugin {Id} {Status}: {Reason}", p.Id, p.Status.Text(), p.Reason);
                break;
        }
    }

    public void Dispose()
    {
        foreach (var p in plugins) p.Loader?.Dispose();
    }
}

using TestUtilities;
using System.Reflection;
using System.Runtime.Loader;
using Host.Abstractions;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Logging;
using SampleHost.Commands;
using SampleHost.Plugins;
using TorchSharp;

namespace SampleHost.Tests.Plugins;

public class PluginLoadingTests
{
    private static PluginRecord Single(IReadOnlyList<PluginRecord> plugins, string id) =>
        Assert.Single(plugins, p => p.Id == id);

    [Fact]
    public void RealEsdPluginLoadsFromPluginsFolderSharingContractAndTorchTypes()
    {
        var data = StudioProcess.FreshDataFolder();
        using var host = FixturePlugins.Host([FixturePlugins.BundledRoot], data);
        var esd = Single(host.Plugins, "esd");

        Assert.True(esd.Status == PluginStatus.Active, esd.Reason);
        Assert.Equal(Path.Combine(FixturePlugins.BundledRoot, "EsdPlugin"), esd.Folder);
        Assert.Equal(["esd.about", "esd.apply-blocklist", "esd.delete-edit", "esd.erase-concept", "esd.export-lora", "esd.export-model", "esd.load-edited-model", "esd.restore-original", "esd.test-erasure"], esd.Commands.Order());
        var (catalog, owner) = Assert.Single(host.Commands.EditCatalogs);
        Assert.Equal("esd", owner);
        Assert.Equal(("esd.load-edited-model", "esd.delete-edit", "esd.export-lora"), (catalog.LoadCommand, catalog.DeleteCommand, catalog.ExportCommand));

        // The plugin lives in its own load context (not linked into the host) ...
        var pluginAssembly = esd.Instance!.GetType().Assembly;
        Assert.Equal("EsdPlugin", pluginAssembly.GetName().Name);
        var context = AssemblyLoadContext.GetLoadContext(pluginAssembly)!;
        Assert.NotSame(AssemblyLoadContext.Default, context);
        Assert.Same(esd.Loader!.LoadContext, context);
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == "EsdPlugin");

        // ... whose view of the contract and of TorchSharp is the host's own Type objects.
        Assert.Contains(typeof(IPlugin), esd.Instance.GetType().GetInterfaces());
        var referenced = pluginAssembly.GetReferencedAssemblies();
        var contract = context.LoadFromAssemblyName(referenced.Single(a => a.Name == "Host.Abstractions"));
        var torchSharp = context.LoadFromAssemblyName(referenced.Single(a => a.Name == "TorchSharp"));
        Assert.Same(typeof(IPlugin), contract.GetType("Host.Abstractions.IPlugin"));
        Assert.Same(typeof(torch), torchSharp.GetType("TorchSharp.torch"));
        Assert.Same(typeof(torch.Tensor), torchSharp.GetType("TorchSharp.torch+Tensor"));
    }

    [Fact]
    public async Task EsdAboutRunsAndReportsPluginAndContractVersions()
    {
        using var host = FixturePlugins.Host([FixturePlugins.BundledRoot], StudioProcess.FreshDataFolder());
        _ = host.Plugins;
        var about = host.Commands.Find("esd.about")!;
        Assert.Equal("Help/About ESD", about.Definition.MenuPath);

        var outcome = await host.Runner.RunAsync(about, new Dictionary<string, string>(), new RecordingProgress(), CancellationToken.None);

        Assert.Equal(CommandOutcomeKind.Succeeded, outcome.Kind);
        Assert.Contains("0.1.0", outcome.Result!.Message);
        Assert.Contains($"plugin contract {HostApi.Current}", outcome.Result.Message);
        Assert.Contains($"TorchSharp {typeof(torch).Assembly.GetName().Version!.ToString(3)}", outcome.Result.Message);
        Assert.Empty(outcome.Result.Files);
    }

    [Fact]
    public void PluginCarryingItsOwnSharedAssembliesStillSeesTheHostTypes()
    {
        var folder = FixturePlugins.Folder("OwnCopyPlugin");
        // The fixture really does carry its own copies ...
        foreach (var dll in new[] { "Host.Abstractions.dll", "TorchSharp.dll", "Microsoft.Extensions.Logging.Abstractions.dll" })
            Assert.True(File.Exists(Path.Combine(folder, dll)), $"{dll} missing from {folder}");

        using var host = FixturePlugins.Host([FixturePlugins.Root], StudioProcess.FreshDataFolder());
        var plugin = Single(host.Plugins, "owncopy");
        Assert.True(plugin.Status == PluginStatus.Active, plugin.Reason);

        // ... yet the types its code binds to are the host's.
        var entry = plugin.Instance!.GetType();
        Assert.Same(typeof(IPlugin), entry.GetProperty("ContractType")!.GetValue(null));
        Assert.Same(typeof(torch), entry.GetProperty("TorchType")!.GetValue(null));
        Assert.Same(typeof(torch.Tensor), entry.GetProperty("TensorType")!.GetValue(null));
        var logging = plugin.Loader!.LoadContext.LoadFromAssemblyName(new AssemblyName("Microsoft.Extensions.Logging.Abstractions"));
        Assert.Same(typeof(ILogger).Assembly, logging);
    }

    [Fact]
    public void WithoutSharingTheOwnCopyFixtureWouldGetOtherTypes()
    {
        // Control for the test above: loaded with no shared types, the plugin's own copies win and the
        // contract's Type is a different object, so the host could not use the plugin at all.
        var path = Path.Combine(FixturePlugins.Folder("OwnCopyPlugin"), "OwnCopyPlugin.dll");
        using var loader = PluginLoader.CreateFromAssemblyFile(path);
        var entry = loader.LoadDefaultAssembly().GetType("OwnCopyPlugin.OwnCopyPluginEntry")!;
        var contract = (Type)entry.GetProperty("ContractType")!.GetValue(null)!;

        Assert.Equal(typeof(IPlugin).FullName, contract.FullName);
        Assert.NotSame(typeof(IPlugin), contract);
        Assert.False(typeof(IPlugin).IsAssignableFrom(entry));
    }

    [Fact]
    public void EachFixtureGetsItsStatusAndReasonAndTheGoodOnesStillLoad()
    {
        using var host = FixturePlugins.Host([FixturePlugins.BundledRoot, FixturePlugins.Root], StudioProcess.FreshDataFolder());
        var plugins = host.Plugins;

        Assert.Equal(PluginStatus.Active, Single(plugins, "esd").Status);
        Assert.Equal(PluginStatus.Active, Single(plugins, "scratch").Status);
        Assert.Equal(PluginStatus.Active, Single(plugins, "owncopy").Status);

        var bad = Single(plugins, "BadManifest");
        Assert.Equal(PluginStatus.Malfunctioned, bad.Status);
        Assert.Contains(Path.Combine(FixturePlugins.Folder("BadManifest"), "manifest.json"), bad.Reason);
        Assert.Contains("not valid JSON", bad.Reason);

        var missing = Single(plugins, "missingassembly");
        Assert.Equal(PluginStatus.Malfunctioned, missing.Status);
        Assert.Contains("MissingAssembly.dll not found", missing.Reason);

        var future = Single(plugins, "futureapi");
        Assert.Equal(PluginStatus.NotSupported, future.Status);
        Assert.Contains(">=3.0 <4.0", future.Reason);
        Assert.Contains($"implements {HostApi.Current}", future.Reason);

        var throws = Single(plugins, "throws");
        Assert.Equal(PluginStatus.Malfunctioned, throws.Status);
        Assert.Contains("Register threw InvalidOperationException", throws.Reason);
        Assert.Contains("the settings file is corrupt", throws.Reason);

        var liar = Single(plugins, "liar");
        Assert.Equal(PluginStatus.Malfunctioned, liar.Status);
        Assert.Contains("'liar.ghost'", liar.Reason);
        Assert.Contains("did not register", liar.Reason);

        // Only active plugins contribute commands; what a failed plugin registered before failing is dropped.
        Assert.Equal(["esd.about", "esd.apply-blocklist", "esd.delete-edit", "esd.erase-concept", "esd.export-lora", "esd.export-model", "esd.load-edited-model", "esd.restore-original", "esd.test-erasure", "owncopy.where", "scratch.count"],
            host.Commands.Commands.Select(c => c.Id).Order());
        Assert.All(plugins.Where(p => p.Status != PluginStatus.Active), p => Assert.Null(p.Loader));
    }

    [Fact]
    public void ProductPluginsFolderHoldsNoFixtures()
    {
        foreach (var root in new[] { FixturePlugins.BundledRoot, Path.Combine(RepoPaths.ProjectOutput("src/SampleHost"), "plugins") })
        {
            Assert.Equal(["EsdPlugin"], Directory.GetDirectories(root).Select(Path.GetFileName));
            Assert.True(File.Exists(Path.Combine(root, "EsdPlugin", "manifest.json")));
            Assert.True(File.Exists(Path.Combine(root, "EsdPlugin", "EsdPlugin.dll")));
            Assert.False(File.Exists(Path.Combine(root, "EsdPlugin", "TorchSharp.dll")));
            Assert.False(File.Exists(Path.Combine(root, "EsdPlugin", "Host.Abstractions.dll")));
        }
        Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Root, "manifest.json")),
            File.ReadAllText(Path.Combine(FixturePlugins.BundledRoot, "EsdPlugin", "manifest.json")));
    }

    [Fact]
    public void DisabledInManifestIsNotLoaded()
    {
        using var sandbox = new PluginSandbox();
        sandbox.AddCopy("ScratchPlugin", "Scratch", m => m["enabled"] = false);
        using var host = sandbox.Host();

        var scratch = Single(host.Plugins, "scratch");
        Assert.Equal(PluginStatus.Disabled, scratch.Status);
        Assert.Contains("\"enabled\": false", scratch.Reason);
        Assert.Null(scratch.Loader);
        Assert.Empty(host.Commands.Commands);
    }

    [Fact]
    public void DisabledByHostSettingIsNotLoaded()
    {
        using var sandbox = new PluginSandbox();
        sandbox.AddCopy("ScratchPlugin", "Scratch");
        using var host = sandbox.Host(disabled: "scratch");

        var scratch = Single(host.Plugins, "scratch");
        Assert.Equal(PluginStatus.Disabled, scratch.Status);
        Assert.Contains(PluginSettings.DisabledVariable, scratch.Reason);
    }

    [Fact]
    public void RegisteringAnUndeclaredCommandIsAMalfunction()
    {
        using var sandbox = new PluginSandbox();
        sandbox.AddCopy("LiarPlugin", "Liar", m => m["commands"] = new Newtonsoft.Json.Linq.JArray());
        using var host = sandbox.Host();

        var liar = Single(host.Plugins, "liar");
        Assert.Equal(PluginStatus.Malfunctioned, liar.Status);
        Assert.Contains("registered command 'liar.real' that manifest.json does not declare", liar.Reason);
        Assert.Empty(host.Commands.Commands);
    }

    [Fact]
    public void AssemblyWithoutAnIPluginIsAMalfunction()
    {
        using var sandbox = new PluginSandbox();
        // Any assembly without a plugin in it will do: Google.Protobuf.dll, which the fixture carries.
        sandbox.AddCopy("OwnCopyPlugin", "NoEntry", m => { m["id"] = "noentry"; m["entryAssembly"] = "Google.Protobuf.dll"; m.Remove("entryType"); m["commands"] = new Newtonsoft.Json.Linq.JArray(); });
        using var host = sandbox.Host();

        var plugin = Single(host.Plugins, "noentry");
        Assert.Equal(PluginStatus.Malfunctioned, plugin.Status);
        Assert.Contains("no class implementing Host.Abstractions.IPlugin in Google.Protobuf.dll", plugin.Reason);
    }

    [Fact]
    public void EntryTypeThatDoesNotExistIsAMalfunction()
    {
        using var sandbox = new PluginSandbox();
        sandbox.AddCopy("ScratchPlugin", "Scratch", m => m["entryType"] = "ScratchPlugin.Nope");
        using var host = sandbox.Host();

        var plugin = Single(host.Plugins, "scratch");
        Assert.Equal(PluginStatus.Malfunctioned, plugin.Status);
        Assert.Contains("entry type ScratchPlugin.Nope (manifest.json entryType) not found", plugin.Reason);
    }

    [Fact]
    public void SecondPluginWithTheSameIdIsAMalfunctionAndTheFirstStaysActive()
    {
        using var sandbox = new PluginSandbox();
        sandbox.AddCopy("ScratchPlugin", "A");
        sandbox.AddCopy("ScratchPlugin", "B");
        using var host = sandbox.Host();

        Assert.Equal(2, host.Plugins.Count);
        Assert.Equal(PluginStatus.Active, host.Plugins[0].Status);
        Assert.Equal(PluginStatus.Malfunctioned, host.Plugins[1].Status);
        Assert.Contains("already used by the plugin in", host.Plugins[1].Reason);
        Assert.Contains(Path.Combine(sandbox.Root, "A"), host.Plugins[1].Reason);
    }

    [Fact]
    public void InvalidManifestFieldNamesFileAndField()
    {
        using var sandbox = new PluginSandbox();
        var folder = sandbox.AddCopy("ScratchPlugin", "Scratch", m => m["hostApi"] = "~1");
        using var host = sandbox.Host();

        var plugin = Assert.Single(host.Plugins);
        Assert.Equal(PluginStatus.Malfunctioned, plugin.Status);
        Assert.Equal("Scratch", plugin.Id);
        Assert.Contains(Path.Combine(folder, "manifest.json"), plugin.Reason);
        Assert.Contains("field 'hostApi'", plugin.Reason);
    }

    [Fact]
    public void FolderWithoutManifestIsReported()
    {
        using var sandbox = new PluginSandbox();
        Directory.CreateDirectory(Path.Combine(sandbox.Root, "Empty"));
        sandbox.AddCopy("ScratchPlugin", "Scratch");
        using var host = sandbox.Host();

        var empty = Single(host.Plugins, "Empty");
        Assert.Equal(PluginStatus.Malfunctioned, empty.Status);
        Assert.Contains("manifest.json not found", empty.Reason);
        Assert.Equal(PluginStatus.Active, Single(host.Plugins, "scratch").Status);
    }

    [Fact]
    public void MissingRootsAreSkipped()
    {
        using var host = FixturePlugins.Host([Path.Combine(Path.GetTempPath(), "no-such-plugins-" + Guid.NewGuid())], StudioProcess.FreshDataFolder());
        Assert.Empty(host.Plugins);
    }

    [Fact]
    public void ContextGivesAPerPluginDataFolderCreatedOnFirstUse()
    {
        var data = Path.Combine(StudioProcess.FreshDataFolder(), "studio");
        var context = new PluginContext("scratch", PluginContext.DataFolderFor(data, "scratch"),
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, new PluginCommandStaging("scratch"),
            new SampleHost.LoadedModels.ModelCache(SampleHost.LoadedModels.StudioModel.Load), new SampleHost.Projects.ProjectService());

        Assert.False(Directory.Exists(Path.Combine(data, "plugins", "scratch")));
        Assert.Equal(Path.Combine(data, "plugins", "scratch"), context.DataFolder);
        Assert.True(Directory.Exists(context.DataFolder));
        Assert.Equal("studio", context.HostName);
        Assert.Equal(HostApi.Current, context.ApiVersion);
        Assert.Equal("scratch", context.PluginId);
        Assert.Null(context.Models.ActiveModelFolder);
        Assert.Null(context.Projects.Active);
    }

    [Fact]
    public void StagingRefusesCommandsAfterLoading()
    {
        var staging = new PluginCommandStaging("scratch");
        staging.Seal();
        var e = Assert.Throws<InvalidOperationException>(() => staging.Register(new CommandDefinition
        {
            Id = "scratch.late", Title = "Late", MenuPath = "Tools/Late", Handler = _ => Task.FromResult(new CommandResult("")),
        }));
        Assert.Contains("scratch.late", e.Message);
    }
}

public class EditCatalogStagingTests
{
    private sealed class Catalog(string load, string? delete) : Host.Abstractions.IEditCatalog
    {
        public string EditParameter => "delta";
        public string LoadCommand => load;
        public string? DeleteCommand => delete;
        public string? ExportCommand => null;
        public IReadOnlyList<Host.Abstractions.StoredEdit> List(Host.Abstractions.ILoadedModel? model) => [];
        public Host.Abstractions.StoredEdit? FindByStamp(string stamp) => null;
    }

    [Fact]
    public void ACatalogMayNameOnlyItsPluginsOwnCommands()
    {
        var staging = new SampleHost.Plugins.PluginCommandStaging("p");
        staging.Register(new Host.Abstractions.CommandDefinition { Id = "p.load", Title = "Load", MenuPath = "Models/Load", Handler = _ => Task.FromResult(new Host.Abstractions.CommandResult("")) });
        staging.RegisterEditCatalog(new Catalog("p.load", "other.delete"));
        Assert.Equal(["DeleteCommand 'other.delete'"], staging.CatalogProblems());
        staging.Seal();
        Assert.Throws<InvalidOperationException>(() => staging.RegisterEditCatalog(new Catalog("p.load", null)));
    }
}

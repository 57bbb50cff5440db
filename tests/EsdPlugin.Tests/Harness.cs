using TestUtilities;
using Host.Abstractions;
using Microsoft.Extensions.Logging.Abstractions;
using SampleHost.Commands;
using SampleHost.LoadedModels;
using SampleHost.Plugins;
using SampleHost.Projects;
using static TorchSharp.torch;

namespace EsdPlugin.Tests;

/// <summary>The fixtures these tests use.</summary>
internal static class Paths
{
    public static string Root => RepoPaths.Root;
    public static string Alpha => AlphaFixture.Folder;
}

/// <summary>A host (model cache, projects, plugin context) around the ESD plugin's services, in this process.</summary>
internal sealed class Harness : IDisposable
{
    public string DataFolder { get; } = Directory.CreateTempSubdirectory("esd-test").FullName;
    public ModelCache Cache { get; }
    public ProjectService Projects { get; } = new();
    public PluginContext Context { get; }
    public EsdServices Services { get; }

    private TempFolder? _modelCopy;

    /// <summary>The model the cache leases (a folder or a single file).</summary>
    public string Model { get; }

    /// <param name="config">For a single-file <paramref name="model"/>: the folder of configs that describes it.</param>
    public Harness(string? model = null, ScalarType dtype = ScalarType.Float32, string? config = null)
    {
        Model = model ?? Paths.Alpha;
        Cache = new ModelCache(StudioModel.Load);
        Cache.Select(Model, CPU, dtype, config);
        Context = new PluginContext("esd", Path.Combine(DataFolder, "plugins", "esd"), NullLoggerFactory.Instance,
            new PluginCommandStaging("esd"), Cache, Projects);
        Services = new EsdServices(Context);
    }

    /// <summary>Runs a command definition with string arguments as the host would (binding and validation included).</summary>
    public Task<CommandResult> Run(CommandDefinition command, Dictionary<string, string> args, CancellationToken cancel = default, Action<ProgressReport>? onProgress = null)
    {
        var invocation = new CommandInvocation
        {
            Arguments = CommandArguments.Bind(command, args),
            Progress = new SyncProgress(onProgress),
            Cancellation = cancel,
        };
        return command.Handler(invocation);
    }

    /// <summary>A copy of every U-Net parameter as it is now, by name.</summary>
    public async Task<Dictionary<string, Tensor>> UnetTensors()
    {
        using var lease = await Cache.AcquireAsync(LeaseMode.Shared);
        return lease.Model.Unet.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
    }

    /// <summary>Bytes of every U-Net parameter, by name (for bit-exact comparisons).</summary>
    public async Task<Dictionary<string, byte[]>> UnetBytes()
    {
        using var lease = await Cache.AcquireAsync(LeaseMode.Shared);
        return lease.Model.Unet.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu().contiguous().bytes.ToArray());
    }

    /// <summary>
    /// A harness on a copy of <paramref name="source"/> (default alpha) whose ESD defaults train <paramref name="iterations"/>
    /// per concept: the tests' short runs are then full-length safe checkpoints that a project's blocklist accepts.
    /// </summary>
    public static Harness WithSafeIterations(int iterations, string? source = null, ScalarType dtype = ScalarType.Float32)
    {
        var copy = ModelCopies.WithEsdIterations(source ?? Paths.Alpha, iterations);
        return new Harness(copy.Path, dtype) { _modelCopy = copy };
    }

    public void Dispose()
    {
        Cache.Dispose();
        _modelCopy?.Dispose();
        try { Directory.Delete(DataFolder, true); } catch (IOException) { }
    }

    private sealed class SyncProgress(Action<ProgressReport>? on) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport value) => on?.Invoke(value);
    }
}

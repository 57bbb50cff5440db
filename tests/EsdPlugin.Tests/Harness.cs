using System.Diagnostics;
using Host.Abstractions;
using Microsoft.Extensions.Logging.Abstractions;
using SampleHost.Commands;
using SampleHost.Models;
using SampleHost.Plugins;
using SampleHost.Projects;
using static TorchSharp.torch;

namespace EsdPlugin.Tests;

/// <summary>Paths of the repository, the shared data beside it and the built studio.</summary>
internal static class Paths
{
    public static string Root { get; } = FindRoot();
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
    public static string Alpha => Path.Combine(Root, "..", "shared", "fixtures", "reference", "alpha");
    /// <summary>SampleHost's own output: studio.dll with plugins/EsdPlugin beside it, as a user runs it.</summary>
    public static string StudioDll => Path.Combine(Root, "src", "SampleHost", "bin", Configuration, "net10.0", "studio.dll");

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Plugins.sln"))) return d.FullName;
        throw new InvalidOperationException("Plugins.sln not found");
    }
}

/// <summary>A host (model cache, projects, plugin context) around the ESD plugin's services, in this process.</summary>
internal sealed class Harness : IDisposable
{
    public string DataFolder { get; } = Directory.CreateTempSubdirectory("esd-test").FullName;
    public ModelCache Cache { get; }
    public ProjectService Projects { get; } = new();
    public PluginContext Context { get; }
    public EsdServices Services { get; }

    public Harness(string? model = null, ScalarType dtype = ScalarType.Float32)
    {
        Cache = new ModelCache(StudioModel.Load);
        Cache.Select(model ?? Paths.Alpha, CPU, dtype);
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

    /// <summary>Bytes of every U-Net parameter, by name (for bit-exact comparisons).</summary>
    public async Task<Dictionary<string, byte[]>> UnetBytes()
    {
        using var lease = await Cache.AcquireAsync(LeaseMode.Shared);
        return lease.Model.Unet.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu().contiguous().bytes.ToArray());
    }

    public void Dispose()
    {
        Cache.Dispose();
        try { Directory.Delete(DataFolder, true); } catch (IOException) { }
    }

    private sealed class SyncProgress(Action<ProgressReport>? on) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport value) => on?.Invoke(value);
    }
}

/// <summary>Runs the built studio in a separate process, with its bundled plugins.</summary>
internal static class StudioProcess
{
    public static (int Code, string Stdout, string Stderr) Run(string dataFolder, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Paths.StudioDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["STUDIO_DATA_DIR"] = dataFolder;
        psi.Environment["STUDIO_LOG_DIR"] = Path.Combine(dataFolder, "logs");
        psi.Environment.Remove("STUDIO_PLUGINS_DIR");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException(string.Join(' ', args)); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

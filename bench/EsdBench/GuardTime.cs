using System.Diagnostics;
using EsdPlugin;
using EsdPlugin.Blocklist;
using EsdPlugin.Commands;
using Host.Abstractions;
using Microsoft.Extensions.Logging.Abstractions;
using SampleHost.Commands;
using SampleHost.LoadedModels;
using SampleHost.Plugins;
using SampleHost.Projects;
using static TorchSharp.torch;

namespace EsdBench;

/// <summary>
/// What the blocklist guard adds to a generation when the store holds many deltas: a project blocking "cat" whose safe
/// checkpoint is live, with 200 deltas in the store (one trained, the others copies under other names). Times the
/// guard's check (median of many) with the store's index warm, on a fresh store reading the index from disk (a new
/// `studio generate` process), and with no index on disk (every file read and hashed, as before the index existed).
/// </summary>
internal static class GuardTime
{
    public static int Run(Dictionary<string, string> options)
    {
        var model = Path.GetFullPath(options.GetValueOrDefault("model") ?? Alpha());
        int deltas = int.Parse(options.GetValueOrDefault("deltas") ?? "200");
        int runs = int.Parse(options.GetValueOrDefault("runs") ?? "50");
        var data = Directory.CreateTempSubdirectory("esd-guard-bench").FullName;
        try
        {
            using var cache = new ModelCache(StudioModel.Load);
            cache.Select(model, CPU, ScalarType.Float32);
            var projects = new ProjectService();
            var context = new PluginContext("esd", Path.Combine(data, "plugins", "esd"), NullLoggerFactory.Instance, new PluginCommandStaging("esd"), cache, projects);
            var services = new EsdServices(context);

            var trained = Erase(services, "cat");
            using (var contents = context.TensorFiles.Read(trained))
                for (int i = 1; i < deltas; i++)
                {
                    var metadata = new Dictionary<string, string>(contents.Metadata) { ["name"] = $"copy-{i:D3}", ["concepts"] = $"[\"concept {i}\"]" };
                    context.TensorFiles.Write(Path.Combine(services.Store.Folder, $"copy-{i:D3}.safetensors"), contents.Tensors, metadata);
                }
            var folder = Path.Combine(data, "project");
            ProjectService.Create(folder, new ProjectSettings("bench", model, ["cat"], null));
            projects.Open(folder);
            var request = new GenerationRequest(model, ["a cat"], projects.Active);

            double Check(EsdServices s)
            {
                var guard = new BlocklistGuard(s);
                var clock = Stopwatch.StartNew();
                var decision = guard.CheckAsync(request, CancellationToken.None).GetAwaiter().GetResult();
                if (!decision.Allowed) throw new InvalidOperationException($"the guard refused: {decision.Message}");
                return clock.Elapsed.TotalMilliseconds;
            }
            Check(services); // loads the safe checkpoint (once, as any first generation in a project does)
            double Median(Func<double> f) => Enumerable.Range(0, runs).Select(_ => f()).Order().ElementAt(runs / 2);

            var warm = Median(() => Check(services));
            var fromDisk = Median(() => Check(new EsdServices(context)));
            var index = Path.Combine(services.Store.Folder, EsdPlugin.Deltas.DeltaIndex.FileName);
            var noIndex = Median(() => { File.Delete(index); return Check(new EsdServices(context)); });
            Console.WriteLine($"model {model}; {deltas} deltas in the store; median of {runs} guard checks with the safe checkpoint live:");
            Console.WriteLine($"  index warm (same process):        {warm:F2} ms");
            Console.WriteLine($"  index read from disk (new store): {fromDisk:F2} ms");
            Console.WriteLine($"  no index (every delta read and hashed, as before): {noIndex:F2} ms");
            return 0;
        }
        finally
        {
            try { Directory.Delete(data, true); } catch (IOException) { }
        }
    }

    private static string Erase(EsdServices services, string concept)
    {
        var command = EraseConceptCommand.Create(services);
        var args = CommandArguments.Bind(command, new Dictionary<string, string> { ["concepts"] = concept, ["iterations"] = "2", ["ddim-steps"] = "2" });
        var result = command.Handler(new CommandInvocation { Arguments = args, Progress = new NoProgress(), Cancellation = CancellationToken.None })
            .GetAwaiter().GetResult();
        return result.Files.Single();
    }

    private static string Alpha()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Plugins.sln")))
                return Path.Combine(d.FullName, "tests", "data", "reference", "alpha");
        throw new InvalidOperationException("Plugins.sln not found; pass --model");
    }

    /// <summary>Reports nowhere, on the training thread (Progress&lt;T&gt; would post to the thread pool: see ScalarRace).</summary>
    private sealed class NoProgress : IProgress<ProgressReport>
    {
        public void Report(ProgressReport value) { }
    }
}

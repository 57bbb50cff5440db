using System.Diagnostics;
using EsdPlugin.Training;
using SampleHost.Plugins;
using SampleHost.LoadedModels;
using static TorchSharp.torch;

namespace EsdBench;

/// <summary>Wall time of a default erase (the model folder's esd_defaults.json) on the CPU, model load excluded.</summary>
internal static class EraseTime
{
    public static int Run(Dictionary<string, string> options)
    {
        var folder = Path.GetFullPath(options.GetValueOrDefault("model") ?? "models/tiny-shapes");
        var concepts = (options.GetValueOrDefault("concepts") ?? "star").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var load = Stopwatch.StartNew();
        var model = StudioModel.Load(ModelKey.For(folder, CPU, ScalarType.Float32), CancellationToken.None);
        try
        {
            load.Stop();
            var settings = EsdDefaults.For(folder, concepts);
            Console.WriteLine($"model {folder} (loaded in {load.Elapsed.TotalSeconds:F1} s); torch threads {get_num_threads()}");
            Console.WriteLine($"defaults: {string.Join(", ", settings.ToMetadata().Select(kv => $"{kv.Key}={kv.Value}"))}; concepts {string.Join(", ", concepts)}");
            var sw = Stopwatch.StartNew();
            int every = Math.Max(1, settings.Iterations / 10);
            using var result = new EsdTrainer(model, SafetensorsFiles.Instance).Train(settings, resume: false,
                p => { if (p.Iteration % every == 0) Console.WriteLine($"  {p.Describe()}"); }, CancellationToken.None);
            Console.WriteLine($"default erase: {sw.Elapsed.TotalSeconds:F1} s for {settings.Iterations} iterations ({sw.Elapsed.TotalSeconds / settings.Iterations:F3} s each)");
            return 0;
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }
}

using System.Diagnostics;
using SampleHost.Engine.StableDiffusion;
using static TorchSharp.torch;

namespace EngineBench;

/// <summary>Seconds per generated image (25 DDIM steps with guidance 7.5) at batch 1 and batch 20, CPU float32.</summary>
internal static class ImageTime
{
    public static int Run(Dictionary<string, string> options)
    {
        var folder = options.GetValueOrDefault("model") ?? "models/tiny-shapes";
        int runs = int.Parse(options.GetValueOrDefault("runs") ?? "5");
        using var model = StableDiffusionModel.Load(folder, CPU, ScalarType.Float32);
        Console.WriteLine($"model {Path.GetFullPath(folder)}; torch threads {get_num_threads()}");
        double Time(int batch, long seed)
        {
            var sw = Stopwatch.StartNew();
            var images = TextToImage.Generate(model, new TextToImageRequest { Prompt = "a striped red star", Steps = 25, Guidance = 7.5, Seed = seed, Count = batch, BatchSize = batch }, "", []);
            foreach (var (img, _) in images) img.Dispose();
            return sw.Elapsed.TotalSeconds / batch;
        }
        Time(1, 0); // warm-up
        foreach (var batch in new[] { 1, 20 })
        {
            var times = Enumerable.Range(0, runs).Select(i => Time(batch, i + 1)).Order().ToList();
            Console.WriteLine($"batch {batch}: median {times[runs / 2]:F3} s per image (min {times[0]:F3}, max {times[^1]:F3}, {runs} runs)");
        }
        return 0;
    }
}

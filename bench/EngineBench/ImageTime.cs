using System.Diagnostics;
using DiffusionEngine.StableDiffusion;
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
        // Warm-up: the JIT recompiles hot methods in the background during the first seconds.
        for (int i = 0; i < 10; i++) Time(1, 100 + i);
        foreach (var batch in new[] { 1, 20 })
        {
            var times = Enumerable.Range(0, runs).Select(i => Time(batch, i + 1)).Order().ToList();
            Console.WriteLine($"batch {batch}: median {times[runs / 2]:F3} s per image (min {times[0]:F3}, max {times[^1]:F3}, {runs} runs)");
        }
        Parts(model, runs);
        return 0;
    }

    /// <summary>Where one batch-1 image's time goes: prompt encoding, the 25 guided U-Net steps, VAE decoding.</summary>
    private static void Parts(StableDiffusionModel model, int runs)
    {
        using var noGrad = no_grad();
        double Median(Action a)
        {
            var t = Enumerable.Range(0, runs).Select(_ => { var sw = Stopwatch.StartNew(); a(); return sw.Elapsed.TotalSeconds; }).Order().ToList();
            return t[runs / 2];
        }
        using var latents = randn(1, model.LatentChannels, model.ImageSize / model.VaeScale, model.ImageSize / model.VaeScale);
        using var cond = model.EncodePrompts(["a striped red star"]);
        using var uncond = model.EncodePrompts([""]);
        double encode = Median(() => { using var a = model.EncodePrompts(["a striped red star"]); using var b = model.EncodePrompts([""]); });
        double sample = Median(() =>
        {
            using var scheduler = model.CreateScheduler();
            using var x0 = GuidedSampler.Sample(model.Unet, scheduler, latents.clone(), cond, uncond, 7.5, 25);
        });
        double decode = Median(() => { using var img = model.DecodeLatents(latents); });
        Console.WriteLine($"batch 1 parts (median of {runs}): encode prompts {encode * 1000:F1} ms, 25 guided steps {sample * 1000:F1} ms ({sample * 40:F2} ms per batch-2 U-Net forward), decode {decode * 1000:F1} ms");
    }
}

using Host.Abstractions;
using SampleHost.Cli;
using SampleHost.Commands;
using SampleHost.Engine.Images;
using SampleHost.Engine.StableDiffusion;
using SampleHost.Runtime;

namespace SampleHost.Verbs;

internal static class GenerateVerb
{
    public static Verb Create() => new()
    {
        Name = "generate",
        Description = "Generate images from a prompt with DDIM and classifier-free guidance; writes PNGs with their parameters.",
        Options =
        [
            new OptionSpec("model", "model folder (diffusers layout)", Required: true),
            new OptionSpec("prompt", "what to draw", Required: true),
            new OptionSpec("negative-prompt", "what to steer away from", ""),
            new OptionSpec("steps", "DDIM steps", "30"),
            new OptionSpec("guidance", "classifier-free guidance scale", "7.5"),
            new OptionSpec("eta", "DDIM eta (0 = deterministic)", "0"),
            new OptionSpec("seed", "seed of the first image; image i uses seed + i (default: random)"),
            new OptionSpec("count", "number of images", "1"),
            new OptionSpec("batch-size", "images generated together", "8"),
            new OptionSpec("width", "image width in pixels (default: the model's size)"),
            new OptionSpec("height", "image height in pixels (default: the model's size)"),
            new OptionSpec("device", "cpu, cuda, cuda:N or auto"),
            new OptionSpec("dtype", "float32, float16 or bfloat16", "float32"),
            new OptionSpec("out", "output folder", "outputs"),
        ],
        Handler = (args, cancel) =>
        {
            var request = new TextToImageRequest
            {
                Prompt = args.Require("prompt"),
                NegativePrompt = args.Get("negative-prompt") ?? "",
                Steps = args.Int("steps", 1, 1000),
                Guidance = args.Double("guidance"),
                Eta = args.Double("eta"),
                Seed = args.Has("seed") ? args.Long("seed") : Random.Shared.NextInt64(0, uint.MaxValue),
                Count = args.Int("count", 1, 100000),
                BatchSize = args.Int("batch-size", 1, 1024),
                Width = args.Has("width") ? args.Int("width", 8, 8192) : null,
                Height = args.Has("height") ? args.Int("height", 8, 8192) : null,
            };
            var device = TorchDevices.Resolve(args.Get("device"));
            using var model = StableDiffusionModel.Load(args.Require("model"), device, TorchDtypes.Parse(args.Get("dtype")));
            var outDir = args.Require("out");
            var progress = new ConsoleProgress(Console.Error, !Console.IsErrorRedirected);
            var images = TextToImage.Generate(model, request, ModelFingerprints.Of(model), [],
                (done, total) => progress.Report(new ProgressReport((double)done / total, $"step {done}/{total}")), cancel);
            progress.Finish();
            foreach (var (image, p) in images)
            {
                using var _ = image;
                var path = Path.Combine(outDir, $"{p.Seed}.png");
                PngImageFile.Save(image, path, p);
                Console.WriteLine(path);
            }
            return Task.FromResult(0);
        },
    };
}

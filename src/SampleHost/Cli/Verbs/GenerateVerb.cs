using SampleHost.Generation;
using Host.Abstractions;
using SampleHost.Cli;
using SampleHost.Commands;
using DiffusionEngine.Images;
using DiffusionEngine.StableDiffusion;
using SampleHost.LoadedModels;
using SampleHost.Projects;
using SampleHost.Hosting;

namespace SampleHost.Cli.Verbs;

internal static class GenerateVerb
{
    public static Verb Create(StudioHost host) => new()
    {
        Name = "generate",
        Description = "Generate images from a prompt with DDIM and classifier-free guidance (and, with --sld, Safe Latent Diffusion); writes PNGs with their parameters.",
        Options =
        [
            HostSelection.ModelOption("default: the project's base model"),
            HostSelection.ConfigOption,
            new OptionSpec("project", "project folder: its blocklist guards the generation, images go to its output folder"),
            new OptionSpec("prompt", "what to draw", Required: true),
            new OptionSpec("negative-prompt", "what to steer away from (default: none; SDXL then conditions on zeros, as diffusers)"),
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
            new OptionSpec("out", "output folder (default: the project's output folder, else ./outputs)"),
            .. SafetyGuidanceOptions.Options,
        ],
        Handler = async (args, cancel) =>
        {
            var request = new TextToImageRequest
            {
                Prompt = args.Require("prompt"),
                NegativePrompt = args.Get("negative-prompt"),
                Steps = args.Int("steps", 1, 1000),
                Guidance = args.Double("guidance"),
                Eta = args.Double("eta"),
                Seed = args.Has("seed") ? args.Long("seed") : Random.Shared.NextInt64(0, uint.MaxValue),
                Count = args.Int("count", 1, 100000),
                BatchSize = args.Int("batch-size", 1, 1024),
                Width = args.Has("width") ? args.Int("width", 8, TextToImage.MaxSide) : null,
                Height = args.Has("height") ? args.Int("height", 8, TextToImage.MaxSide) : null,
                Safety = SafetyGuidanceOptions.Parse(args),
            };
            // Before anything is loaded or generated: --out names a folder.
            if (args.Get("out") is { } outFolder && File.Exists(outFolder))
                throw new UsageException($"--out {outFolder} is a file; it must name a folder (created if missing)");
            HostSelection.Apply(host, args);
            if (host.ModelCache.ActiveModelFolder is null)
                throw new UsageException(args.Has("project") ? "the project has no baseModel: pass --model" : "--model is required (or --project with a base model)");

            var outDir = args.Get("out") ?? host.ProjectService.ActiveProject?.OutputFolder ?? "outputs";
            var progress = new ConsoleProgress(Console.Error, !Console.IsErrorRedirected);
            var outcome = await StudioGeneration.RunAsync(host.ProjectService, host.ModelCache, request, outDir, p => $"{p.Seed}.png", progress, cancel: cancel);
            if (!outcome.Allowed)
            {
                Console.Error.WriteLine($"error: generation refused: {ConsoleText.Escape(outcome.Message ?? "", keepLineBreaks: true)}");
                return 3;
            }
            progress.Finish();
            if (outcome.Message is { Length: > 0 } note) Console.Error.WriteLine(ConsoleText.Escape(note, keepLineBreaks: true));
            foreach (var path in outcome.Files) Console.WriteLine(path);
            return 0;
        },
    };
}

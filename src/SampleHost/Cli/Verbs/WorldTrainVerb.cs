using SampleHost.Cli;
using ShapesWorld.Training;

namespace SampleHost.Cli.Verbs;

internal static class WorldTrainVerb
{
    public static Verb Create() => new()
    {
        Name = "world train",
        Description = "Train the bundled model of the shapes world from scratch (tokenizer, autoencoder, U-Net with text encoder, classifier) into a diffusers-layout folder.",
        Options =
        [
            new OptionSpec("out", "model folder to write", "models/tiny-shapes"),
            new OptionSpec("stage", $"stage(s) to run, comma-separated: {string.Join(", ", WorldModelBuilder.Stages)} or all", "all"),
            new OptionSpec("vae-steps", "autoencoder training steps", new VaeStage.Options().Steps.ToString()),
            new OptionSpec("diffusion-steps", "U-Net and text encoder training steps", new DiffusionStage.Options().Steps.ToString()),
            new OptionSpec("dataset", "scenes encoded for the diffusion stage", new DiffusionStage.Options().DatasetSize.ToString()),
            new OptionSpec("min-snr-gamma", "weight each diffusion sample by min(SNR, gamma) / SNR; 0 for plain MSE", new DiffusionStage.Options().MinSnrGamma.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new OptionSpec("classifier-steps", "classifier training steps", new ShapesWorld.Classifier.ClassifierTrainer.Options().Steps.ToString()),
            new OptionSpec("unet-channels", "U-Net channels per level, comma-separated", string.Join(",", WorldModelConfigs.UnetChannels)),
            new OptionSpec("text-layers", "text encoder layers", WorldModelConfigs.TextLayers.ToString()),
            new OptionSpec("seed", "seed", "1"),
            new OptionSpec("resume", "continue interrupted stages from their checkpoints", IsFlag: true),
        ],
        Handler = (args, cancel) =>
        {
            var stage = args.Require("stage");
            var stages = stage == "all" ? WorldModelBuilder.Stages : stage.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var builder = new WorldModelBuilder(args.Require("out"), line => Console.Error.WriteLine(line), cancel)
            {
                VaeSteps = args.Int("vae-steps", 1, 10_000_000),
                DiffusionSteps = args.Int("diffusion-steps", 1, 10_000_000),
                DiffusionDataset = args.Int("dataset", 1, 10_000_000),
                MinSnrGamma = args.Double("min-snr-gamma", min: 0),
                ClassifierSteps = args.Int("classifier-steps", 1, 10_000_000),
                Seed = args.Int("seed"),
                UnetChannels = UnetChannels(args.Require("unet-channels")),
                TextLayers = args.Int("text-layers", 1, 48),
                Resume = args.Flag("resume"),
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            builder.Run(stages);
            Console.WriteLine($"trained {string.Join(", ", stages)} into {args.Require("out")} in {clock.Elapsed:hh\\:mm\\:ss}");
            return Task.FromResult(0);
        },
    };

    private static int[] UnetChannels(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var channels = parts.Select(p => int.TryParse(p, out var c) && c >= 16 && c % 16 == 0 ? c : -1).ToArray();
        if (channels.Length < 2 || channels.Any(c => c < 0))
            throw new UsageException($"--unet-channels: expected two or more comma-separated multiples of 16 (the norm groups), got '{text}'");
        return channels;
    }
}

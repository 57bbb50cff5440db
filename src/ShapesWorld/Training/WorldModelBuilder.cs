using Newtonsoft.Json.Linq;
using DiffusionEngine.Safetensors;
using DiffusionEngine.Text;
using DiffusionEngine.Unet;
using DiffusionEngine.Vae;
using DiffusionEngine.Loading;
using ShapesWorld.Classifier;
using static TorchSharp.torch;

namespace ShapesWorld.Training;

/// <summary>
/// Builds the bundled model folder from scratch, stage by stage: tokenizer, autoencoder, U-Net with text
/// encoder, classifier. Each stage writes its component into the folder when done; resumable stages keep
/// checkpoints under <c>.training/</c> (not shipped).
/// </summary>
public sealed class WorldModelBuilder(string folder, Action<string> log, CancellationToken cancel)
{
    public static readonly string[] Stages = ["tokenizer", "vae", "diffusion", "classifier"];

    public int VaeSteps { get; init; } = new VaeStage.Options().Steps;
    public int DiffusionSteps { get; init; } = new DiffusionStage.Options().Steps;
    public int DiffusionDataset { get; init; } = new DiffusionStage.Options().DatasetSize;
    public double MinSnrGamma { get; init; } = new DiffusionStage.Options().MinSnrGamma;
    public int ClassifierSteps { get; init; } = new ClassifierTrainer.Options().Steps;
    public int Seed { get; init; } = 1;
    public IReadOnlyList<int> UnetChannels { get; init; } = WorldModelConfigs.UnetChannels;
    public int TextLayers { get; init; } = WorldModelConfigs.TextLayers;
    public bool Resume { get; init; }

    private string Path(params string[] parts) => System.IO.Path.Combine([folder, .. parts]);

    public void Run(IEnumerable<string> stages)
    {
        Directory.CreateDirectory(folder);
        // Half-written files of a killed earlier run (its checkpoints included) go first.
        DiffusionEngine.IO.AtomicFile.RemoveStale(folder, recursive: true);
        foreach (var stage in stages)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            switch (stage)
            {
                case "tokenizer": Tokenizer(); break;
                case "vae": Vae(); break;
                case "diffusion": Diffusion(); break;
                case "classifier": ClassifierStage(); break;
                default: throw new ArgumentException($"unknown stage '{stage}' (expected {string.Join(", ", Stages)})");
            }
            log($"{stage}: done in {clock.Elapsed:hh\\:mm\\:ss}");
        }
    }

    private void Tokenizer()
    {
        var (vocab, merges) = WorldVocabulary.Build(Seed);
        WorldVocabulary.Write(Path("tokenizer"), vocab, merges);
        WorldModelConfigs.WriteJson(Path("model_index.json"), WorldModelConfigs.ModelIndex());
        WorldModelConfigs.WriteJson(Path("scheduler", "scheduler_config.json"), WorldModelConfigs.Scheduler());
        log($"tokenizer: {vocab.Count} tokens, {merges.Count} merges");
    }

    private void Vae()
    {
        var config = VaeConfig.Parse(WorldModelConfigs.Vae(1.0).ToString(), "bundled vae config");
        var options = new VaeStage.Options(Steps: VaeSteps, Seed: Seed);
        // Seeded before the modules are built: their initial weights come from the global generator, which
        // TorchSharp seeds differently in each process.
        manual_seed(options.Seed);
        using var vae = new AutoencoderKL(config);
        var scale = VaeStage.Train(vae, options, Path(".training", "vae"), Resume, r => log(r.ToString()), cancel);
        WorldModelConfigs.WriteJson(Path("vae", "config.json"), WorldModelConfigs.Vae(Math.Round(scale, 5)));
        SafetensorsWriter.Write(Path("vae", "diffusion_pytorch_model.safetensors"), vae.state_dict(), new Dictionary<string, string> { ["format"] = "pt" });
        log($"vae: scaling_factor {scale:F5}");
    }

    private void Diffusion()
    {
        var tokenizer = ClipTokenizer.FromFolder(Path("tokenizer"));
        var vaeConfig = VaeConfig.Load(Path("vae", "config.json"));
        using var vae = new AutoencoderKL(vaeConfig);
        using (var file = SafetensorsFile.Open(Path("vae", "diffusion_pytorch_model.safetensors"))) WeightLoader.Load("vae", vae, file);
        foreach (var p in vae.parameters()) p.requires_grad = false;

        var textConfigJson = WorldModelConfigs.TextEncoder(tokenizer.VocabSize, TextLayers);
        var options = new DiffusionStage.Options(Steps: DiffusionSteps, DatasetSize: DiffusionDataset, Seed: Seed + 1, MinSnrGamma: MinSnrGamma);
        manual_seed(options.Seed);
        using var text = new ClipTextModel(ClipTextConfig.Parse(textConfigJson.ToString(), "bundled text encoder config"));
        using var unet = new UNet2DConditionModel(UNetConfig.Parse(WorldModelConfigs.Unet(UnetChannels).ToString(), "bundled unet config"));
        DiffusionStage.Train(unet, text, tokenizer, vae, vaeConfig.ScalingFactor, options, Path(".training", "diffusion"), Resume, r => log(r.ToString()), cancel);
        WorldModelConfigs.WriteJson(Path("text_encoder", "config.json"), textConfigJson);
        SafetensorsWriter.Write(Path("text_encoder", "model.safetensors"), text.state_dict(), new Dictionary<string, string> { ["format"] = "pt" });
        WorldModelConfigs.WriteJson(Path("unet", "config.json"), WorldModelConfigs.Unet(UnetChannels));
        // Stored in float16 to keep the shipped folder under 20 MB (the engine computes in float32; the
        // evaluation figures are the same either way).
        var half = unet.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float16));
        SafetensorsWriter.Write(Path("unet", "diffusion_pytorch_model.safetensors"), half, new Dictionary<string, string> { ["format"] = "pt" });
        foreach (var t in half.Values) t.Dispose();
    }

    private void ClassifierStage()
    {
        var options = new ClassifierTrainer.Options(Steps: ClassifierSteps, Seed: Seed + 2);
        using var model = ClassifierTrainer.Train(options, p => log($"classifier step {p.Step}/{options.Steps} loss {p.Loss:F4}"), cancel);
        var accuracy = ClassifierTrainer.Accuracy(model, options.ImageSize, 2000, Seed + 99);
        log("classifier accuracy on 2000 fresh images: " + string.Join(", ", accuracy.Select(kv => $"{kv.Key} {kv.Value:P2}")));
        var none = ClassifierTrainer.NoShapeRate(model, options.ImageSize, 400, Seed + 98);
        log("classifier says none on 400 fresh images with no shape, per kind: " + string.Join(", ", none.Select(kv => $"{kv.Key} {kv.Value:P2}")));
        ClassifierFiles.Save(model, options.ImageSize, options.Width, Path(ClassifierFiles.FolderName));
    }
}

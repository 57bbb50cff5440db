using System.Globalization;
using SampleHost.LoadedModels;
using ShapesWorld;
using ShapesWorld.Evaluation;
using static TorchSharp.torch;

namespace EsdBench;

/// <summary>
/// The bundled model (or <c>--model</c>) loaded on the CPU with its shipped prompt files and its classifier, judging K
/// images per prompt (<c>--images-per-prompt</c>, 20) at seed 0, 25 steps, guidance 7.5, as the erase verb does.
/// </summary>
internal sealed class BundledJudge : IDisposable
{
    private readonly WorldEvaluator.Settings _settings;

    private BundledJudge(string folder, int imagesPerPrompt)
    {
        Folder = folder;
        ImagesPerPrompt = imagesPerPrompt;
        _settings = new WorldEvaluator.Settings(imagesPerPrompt, 0, 25, 7.5);
        PromptFiles = Directory.GetFiles(Path.Combine(folder, "prompts"), "*.jsonl").Order(StringComparer.Ordinal).ToList();
        Model = (StudioModel)StudioModel.Load(ModelKey.For(folder, CPU, ScalarType.Float32), CancellationToken.None);
    }

    public static BundledJudge Open(Dictionary<string, string> options) => new(
        Path.GetFullPath(options.GetValueOrDefault("model") ?? "models/tiny-shapes"),
        int.Parse(options.GetValueOrDefault("images-per-prompt") ?? "20", CultureInfo.InvariantCulture));

    public string Folder { get; }
    public int ImagesPerPrompt { get; }
    public IReadOnlyList<string> PromptFiles { get; }
    public StudioModel Model { get; }

    /// <summary>Rates by attribute and value on <paramref name="prompts"/>, with whatever weights are live.</summary>
    public Dictionary<string, Dictionary<string, double>> Rates(IReadOnlyList<EvalPrompt> prompts, string label) =>
        WorldEvaluator.Evaluate(Model.Engine, null, prompts, _settings, label, null).ByConcept;

    public void Dispose() => Model.Dispose();
}

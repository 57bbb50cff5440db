using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ShapesWorld.Classifier;

/// <summary>
/// A small CNN that names a world image's shape, colour, style and background: the judge of the bundled
/// model's outputs (as the ESD paper judged object erasure with an ImageNet classifier).
/// Input [B, 3, S, S] in [-1, 1]; one logits tensor per head.
/// </summary>
public sealed class WorldClassifier : nn.Module<Tensor, Dictionary<string, Tensor>>
{
    private readonly Sequential features;
    private readonly ModuleDict<Linear> heads;

    public WorldClassifier(int width = 32) : base(nameof(WorldClassifier))
    {
        features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding: 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding: 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding: 1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.Conv2d(2 * width, 2 * width, 3, padding: 1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 4 * width, 3, padding: 1), nn.BatchNorm2d(4 * width), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten());
        heads = new ModuleDict<Linear>();
        foreach (var (attribute, values) in ClassifierHeads.All)
            heads.Add((attribute, nn.Linear(4 * width, values.Count)));
        RegisterComponents();
    }

    public override Dictionary<string, Tensor> forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var f = features.forward(images);
        var result = ClassifierHeads.All.ToDictionary(h => h.Attribute, h => heads[h.Attribute].forward(f));
        foreach (var t in result.Values) scope.MoveToOuter(t);
        return result;
    }

    /// <summary>The predicted value of each head for each image.</summary>
    public List<Dictionary<string, string>> Predict(Tensor images)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var logits = forward(images);
        var result = Enumerable.Range(0, (int)images.shape[0]).Select(_ => new Dictionary<string, string>()).ToList();
        foreach (var (attribute, values) in ClassifierHeads.All)
        {
            var idx = logits[attribute].argmax(1).cpu().data<long>().ToArray();
            for (int i = 0; i < idx.Length; i++) result[i][attribute] = values[(int)idx[i]];
        }
        return result;
    }
}

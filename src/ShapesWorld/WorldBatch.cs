using static TorchSharp.torch;

namespace ShapesWorld;

/// <summary>A batch of rendered scenes: images [B, 3, S, S] in [-1, 1], their scenes and captions.</summary>
public sealed class WorldBatch : IDisposable
{
    public required Tensor Images { get; init; }
    public required IReadOnlyList<Scene> Scenes { get; init; }
    public required IReadOnlyList<string> Captions { get; init; }

    /// <summary>Renders <paramref name="count"/> random scenes (deterministic for the generator's seed).</summary>
    public static WorldBatch Random(Random rng, int count, int imageSize, bool withCaptions = true)
    {
        var scenes = Enumerable.Range(0, count).Select(_ => Scene.Random(rng)).ToList();
        var captions = withCaptions ? scenes.Select(s => CaptionWriter.Write(s, rng)).ToList() : scenes.Select(_ => "").ToList();
        return FromScenes(scenes, captions, imageSize);
    }

    public static WorldBatch FromScenes(IReadOnlyList<Scene> scenes, IReadOnlyList<string> captions, int imageSize)
    {
        int plane = 3 * imageSize * imageSize;
        var data = new float[scenes.Count * plane];
        Parallel.For(0, scenes.Count, i => SceneRenderer.Render(scenes[i], imageSize).CopyTo(data, i * plane));
        for (int i = 0; i < data.Length; i++) data[i] = data[i] * 2 - 1;
        return new WorldBatch { Images = tensor(data, [scenes.Count, 3, imageSize, imageSize]), Scenes = scenes, Captions = captions };
    }

    /// <summary>Index of each scene's value of an attribute in the inventory: int64 [B].</summary>
    public Tensor Labels(string attribute)
    {
        var values = attribute switch
        {
            "shape" => Scenes.Select(s => (long)IndexIn(WorldInventory.Shapes, s.Shape)),
            "color" => Scenes.Select(s => (long)IndexIn(WorldInventory.Colors, s.Color)),
            "style" => Scenes.Select(s => (long)IndexIn(WorldInventory.Styles, s.Style)),
            "background" => Scenes.Select(s => (long)IndexIn(WorldInventory.Backgrounds, s.Background)),
            _ => throw new ArgumentException($"unknown attribute '{attribute}'", nameof(attribute)),
        };
        return tensor(values.ToArray());
    }

    private static int IndexIn(IReadOnlyList<string> values, string value)
    {
        for (int i = 0; i < values.Count; i++) if (values[i] == value) return i;
        throw new ArgumentException($"'{value}' is not one of {string.Join(", ", values)}");
    }

    public void Dispose() => Images.Dispose();
}

using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using static TorchSharp.torch;
using DiffusionEngine.IO;

namespace ShapesWorld.Classifier;

/// <summary>The classifier's folder beside the model: <c>config.json</c> (image size, width, heads) and <c>model.safetensors</c>.</summary>
public static class ClassifierFiles
{
    public const string FolderName = "classifier";

    public static void Save(WorldClassifier model, int imageSize, int width, string folder, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(folder);
        var config = new JObject
        {
            ["_class_name"] = nameof(WorldClassifier),
            ["image_size"] = imageSize,
            ["width"] = width,
            ["heads"] = new JObject(ClassifierHeads.All.Select(h => new JProperty(h.Attribute, new JArray(h.Values)))),
        };
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), config.ToString(Formatting.Indented));
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), model.state_dict(), metadata);
    }

    /// <summary>Loads the classifier and its input image size; errors name the file and field.</summary>
    public static (WorldClassifier Model, int ImageSize) Load(string folder)
    {
        var configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new ModelLoadException($"{configPath}: missing (the world classifier's config)");
        var config = JObject.Parse(File.ReadAllText(configPath));
        int imageSize = (int?)config["image_size"] ?? throw new ModelLoadException($"{configPath}: field image_size is required");
        int width = (int?)config["width"] ?? throw new ModelLoadException($"{configPath}: field width is required");
        foreach (var (attribute, values) in ClassifierHeads.All)
        {
            var listed = (config["heads"]?[attribute] as JArray)?.Select(v => (string?)v).ToList();
            if (listed is null || !listed.SequenceEqual(values))
                throw new ModelLoadException($"{configPath}: heads.{attribute} must list {string.Join(", ", values)} in that order");
        }
        var model = new WorldClassifier(width);
        using var file = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        WeightLoader.Load("classifier", model, file);
        model.eval();
        return (model, imageSize);
    }

}

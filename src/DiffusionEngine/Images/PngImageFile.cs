using Newtonsoft.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;
using DiffusionEngine.IO;

namespace DiffusionEngine.Images;

/// <summary>
/// Writes generated images as PNG with their parameters: an A1111-style <c>parameters</c> text chunk that
/// other studios read, and a UTF-8 JSON chunk (<c>studio</c>, iTXt) with everything, edits included.
/// </summary>
public static class PngImageFile
{
    public const string ParametersKeyword = "parameters";
    public const string StudioKeyword = "studio";

    /// <summary>RGB bytes [H, W, 3] from an image tensor [3, H, W] in [-1, 1] (any device or dtype).</summary>
    public static byte[] ToRgbBytes(Tensor image, out int width, out int height)
    {
        if (image.dim() != 3 || image.shape[0] != 3)
            throw new ArgumentException($"expected an image tensor [3, H, W], got [{string.Join(", ", image.shape)}]", nameof(image));
        height = (int)image.shape[1];
        width = (int)image.shape[2];
        using var scope = NewDisposeScope();
        var bytes = ((image.detach().to(float32).cpu() + 1) * 127.5f).round().clamp(0, 255).to(ScalarType.Byte).permute(1, 2, 0).contiguous();
        return bytes.data<byte>().ToArray();
    }

    public static Image<Rgb24> ToImage(Tensor image)
    {
        var rgb = ToRgbBytes(image, out int w, out int h);
        return Image.LoadPixelData<Rgb24>(rgb, w, h);
    }

    /// <summary>Saves atomically (temporary file renamed into place).</summary>
    public static void Save(Image<Rgb24> img, string path, GenerationParameters parameters)
    {
        var png = img.Metadata.GetPngMetadata();
        png.TextData.Clear();
        png.TextData.Add(new PngTextData(ParametersKeyword, parameters.ToA1111(), "", ""));
        // A language tag makes ImageSharp write an iTXt (UTF-8) chunk rather than Latin-1 tEXt.
        png.TextData.Add(new PngTextData(StudioKeyword, JsonConvert.SerializeObject(parameters, Formatting.None), "en", StudioKeyword));
        AtomicFile.Write(path, s => img.Save(s, new PngEncoder { TextCompressionThreshold = int.MaxValue }));
    }

    public static void Save(Tensor image, string path, GenerationParameters parameters)
    {
        using var img = ToImage(image);
        Save(img, path, parameters);
    }

    /// <summary>The text chunks of a PNG (keyword -> value).</summary>
    public static IReadOnlyDictionary<string, string> ReadText(string path)
    {
        var info = Image.Identify(path) ?? throw new InvalidDataException($"{path}: not an image");
        return info.Metadata.GetPngMetadata().TextData.ToDictionary(t => t.Keyword, t => t.Value);
    }

    /// <summary>The studio JSON chunk of a PNG written by <see cref="Save(Image{Rgb24}, string, GenerationParameters)"/>.</summary>
    public static GenerationParameters ReadParameters(string path) =>
        ReadText(path).TryGetValue(StudioKeyword, out var json)
            ? JsonConvert.DeserializeObject<GenerationParameters>(json) ?? throw new InvalidDataException($"{path}: empty '{StudioKeyword}' chunk")
            : throw new InvalidDataException($"{path}: no '{StudioKeyword}' text chunk");
}

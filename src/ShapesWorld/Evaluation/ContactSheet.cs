using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using DiffusionEngine.Images;
using static TorchSharp.torch;
using DiffusionEngine.IO;

namespace ShapesWorld.Evaluation;

/// <summary>
/// A grid of evaluation images: one row per prompt, its images side by side, each framed green when the
/// classifier saw every expected value and red otherwise. Rows are labelled in the PNG's "legend" text chunk
/// (row number: prompt and rates) and in a JSON file beside it; the image itself carries no text, since no
/// font renderer is available here.
/// </summary>
public static class ContactSheet
{
    public static void Save(string path, IReadOnlyList<Tensor> rows, IReadOnlyList<PromptOutcome> outcomes, IReadOnlyList<IReadOnlyList<bool>> matches,
        int maxPerRow = 20, int scale = 2)
    {
        int size = (int)rows[0].shape[2], cell = size * scale + 4;
        int cols = Math.Min(maxPerRow, rows.Max(r => (int)r.shape[0]));
        using var sheet = new Image<Rgb24>(cols * cell, rows.Count * cell, new Rgb24(40, 40, 40));
        for (int r = 0; r < rows.Count; r++)
            for (int c = 0; c < Math.Min(cols, (int)rows[r].shape[0]); c++)
            {
                using var one = rows[r][c];
                var rgb = PngImageFile.ToRgbBytes(one, out int w, out int h);
                var frame = matches[r][c] ? new Rgb24(40, 200, 60) : new Rgb24(220, 40, 40);
                int x0 = c * cell, y0 = r * cell;
                for (int y = 0; y < cell; y++)
                    for (int x = 0; x < cell; x++)
                    {
                        int ix = (x - 2) / scale, iy = (y - 2) / scale;
                        bool inside = x >= 2 && y >= 2 && ix < w && iy < h && x - 2 < w * scale && y - 2 < h * scale;
                        sheet[x0 + x, y0 + y] = inside ? new Rgb24(rgb[(iy * w + ix) * 3], rgb[(iy * w + ix) * 3 + 1], rgb[(iy * w + ix) * 3 + 2]) : frame;
                    }
            }
        var legend = string.Join("\n", outcomes.Select((o, i) =>
            $"row {i + 1}: {o.Prompt} | " + string.Join(", ", o.Rates.Select(kv => $"{kv.Key} {o.Expect[kv.Key]} {kv.Value:P0}"))));
        sheet.Metadata.GetPngMetadata().TextData.Add(new PngTextData("legend", legend, "en", "legend"));
        AtomicFile.Write(path, s => sheet.Save(s, new PngEncoder()));
        AtomicFile.WriteAllText(Path.ChangeExtension(path, ".legend.txt"), legend + "\n");
    }
}

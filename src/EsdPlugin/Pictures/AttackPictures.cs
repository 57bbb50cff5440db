using static TorchSharp.torch;

namespace EsdPlugin.Pictures;

/// <summary>The red team's pictures: a grid of what each attack made, and the embedding attack's loss curves.</summary>
internal static class AttackPictures
{
    private static readonly (byte, byte, byte) Paper = (255, 255, 255), Ink = (40, 40, 40), Grey = (200, 200, 200);

    /// <summary>One row per entry, its images [K, 3, H, W] in [-1, 1] side by side (the row's order is the report's).</summary>
    public static byte[] Grid(IReadOnlyList<Tensor> rows, int gap = 2)
    {
        if (rows.Count == 0) throw new ArgumentException("no images to draw");
        int h = (int)rows[0].shape[2], w = (int)rows[0].shape[3];
        int columns = rows.Max(r => (int)r.shape[0]);
        var canvas = new RgbCanvas(gap + columns * (w + gap), gap + rows.Count * (h + gap), Grey);
        for (int r = 0; r < rows.Count; r++)
        {
            using var bytes = ((rows[r].to(float32).cpu().clamp(-1, 1) + 1) * 127.5).round().to(ScalarType.Byte).permute(0, 2, 3, 1).contiguous(); // [K, H, W, 3]
            var data = bytes.data<byte>().ToArray();
            for (int k = 0; k < rows[r].shape[0]; k++)
                canvas.Blit(gap + k * (w + gap), gap + r * (h + gap), w, h, data.AsSpan(k * h * w * 3, h * w * 3));
        }
        return canvas.ToPng();
    }

    /// <summary>
    /// Loss against step, one curve per attack run (log scale on y), on a white ground with axes; each curve is a running
    /// mean over <paramref name="window"/> steps, as one step's loss depends mostly on the states it drew.
    /// </summary>
    public static byte[] LossCurves(IReadOnlyList<IReadOnlyList<double>> raw, int width = 480, int height = 240, int window = 10)
    {
        var curves = raw.Select(c => (IReadOnlyList<double>)c.Select((_, i) => c.Skip(Math.Max(0, i - window + 1)).Take(Math.Min(window, i + 1)).Average()).ToList()).ToList();
        var canvas = new RgbCanvas(width, height, Paper);
        int left = 10, right = width - 10, top = 10, bottom = height - 10;
        canvas.Line(left, bottom, right, bottom, Ink);
        canvas.Line(left, top, left, bottom, Ink);
        var values = curves.SelectMany(c => c).Where(v => double.IsFinite(v) && v > 0).ToList();
        if (values.Count == 0) return canvas.ToPng();
        double lo = Math.Log(values.Min()), hi = Math.Log(values.Max());
        if (hi - lo < 1e-9) hi = lo + 1;
        (byte, byte, byte)[] colours = [(200, 40, 40), (40, 90, 200), (30, 150, 60), (180, 120, 20), (130, 50, 170), (20, 150, 160)];
        for (int c = 0; c < curves.Count; c++)
        {
            var curve = curves[c];
            int? px = null, py = null;
            for (int i = 0; i < curve.Count; i++)
            {
                if (!double.IsFinite(curve[i]) || curve[i] <= 0) continue;
                int x = left + (int)Math.Round((right - left) * (curve.Count == 1 ? 0 : i / (double)(curve.Count - 1)));
                int y = bottom - (int)Math.Round((bottom - top) * (Math.Log(curve[i]) - lo) / (hi - lo));
                if (px is { } x0 && py is { } y0) canvas.Line(x0, y0, x, y, colours[c % colours.Length]);
                (px, py) = (x, y);
            }
        }
        return canvas.ToPng();
    }
}

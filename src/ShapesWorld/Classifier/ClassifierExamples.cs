namespace ShapesWorld.Classifier;

/// <summary>
/// The classifier's training and test images: scenes as the world renders them (some slightly blurred and noisy,
/// as a generator's outputs are), and examples with no recognisable shape, so that the judge can answer "none"
/// instead of naming the closest shape for a blob. Labels are indices into <see cref="ClassifierHeads.All"/>'s
/// values; <see cref="Unknown"/> where an attribute is not defined (the style of a blur, the colour of an empty
/// canvas), which the loss skips.
/// </summary>
public static class ClassifierExamples
{
    public const long Unknown = -100;

    /// <summary>The kinds of image with no recognisable shape.</summary>
    public enum Negative { Empty, Blob, Blurred, Scrambled, Noise }

    public sealed record Example(float[] Pixels, long Shape, long Color, long Style, long Background, Negative? Kind);

    /// <summary>A rendered scene, with probability <paramref name="degrade"/> lightly blurred (sigma 0.3..0.9 px) and noised.</summary>
    public static Example Positive(Random rng, int size, double degrade = 0.3)
    {
        var scene = Scene.Random(rng);
        var pixels = SceneRenderer.Render(scene, size);
        if (rng.NextDouble() < degrade)
        {
            pixels = Blur(pixels, size, 0.3f + 0.6f * (float)rng.NextDouble());
            AddNoise(pixels, rng, 0.04f * (float)rng.NextDouble());
        }
        return new Example(pixels, Index(ClassifierHeads.Values("shape"), scene.Shape), Index(WorldInventory.Colors, scene.Color),
            Index(WorldInventory.Styles, scene.Style), Index(WorldInventory.Backgrounds, scene.Background), null);
    }

    /// <summary>An image showing no shape of the inventory, of a random kind.</summary>
    public static Example NoShape(Random rng, int size) => NoShape(rng, size, (Negative)rng.Next(5));

    public static Example NoShape(Random rng, int size, Negative kind)
    {
        var scene = Scene.Random(rng);
        long none = Index(ClassifierHeads.Values("shape"), ClassifierHeads.NoShape);
        long color = Index(WorldInventory.Colors, scene.Color), style = Index(WorldInventory.Styles, scene.Style);
        long background = Index(WorldInventory.Backgrounds, scene.Background);
        switch (kind)
        {
            case Negative.Empty:
            {
                var pixels = SceneRenderer.Render(scene, size, (_, _) => 1f);
                AddNoise(pixels, rng, 0.06f * (float)rng.NextDouble());
                return new Example(pixels, none, Unknown, Unknown, background, kind);
            }
            case Negative.Blob:
            {
                var blob = Blob.Random(rng);
                return new Example(SceneRenderer.Render(scene, size, blob.Distance), none, color, style, background, kind);
            }
            case Negative.Blurred:
            {
                // Heavy enough that points, corners and notches are gone; the colour is still there.
                var pixels = Blur(SceneRenderer.Render(scene, size), size, 2.6f + 1.6f * (float)rng.NextDouble());
                return new Example(pixels, none, color, Unknown, background, kind);
            }
            case Negative.Scrambled:
                return new Example(Scramble(SceneRenderer.Render(scene, size), size, rng), none, color, Unknown, background, kind);
            default:
                return new Example(ColourNoise(rng, size), none, Unknown, Unknown, Unknown, kind);
        }
    }

    /// <summary>A smooth closed outline far from every shape of the inventory: r(angle) = 0.85 (1 + sum of 2..4 lobes).</summary>
    private sealed record Blob((int K, float A, float Phase)[] Harmonics)
    {
        public static Blob Random(Random rng)
        {
            var ks = new[] { 2, 3, 4 }.OrderBy(_ => rng.Next()).Take(2).ToArray();
            return new Blob(ks.Select(k => (k, 0.18f + 0.14f * (float)rng.NextDouble(), (float)(rng.NextDouble() * 2 * Math.PI))).ToArray());
        }

        public float Distance(float x, float y)
        {
            float r = MathF.Sqrt(x * x + y * y), angle = MathF.Atan2(y, x), edge = 0.85f;
            foreach (var (k, a, phase) in Harmonics) edge += 0.85f * a * MathF.Sin(k * angle + phase);
            return r - edge;
        }
    }

    /// <summary>The image cut into 8x8-pixel tiles (4x4 at 32 pixels) and put back in a random order.</summary>
    private static float[] Scramble(float[] pixels, int size, Random rng)
    {
        int tile = Math.Max(2, size / 4), n = size / tile;
        var order = Enumerable.Range(0, n * n).OrderBy(_ => rng.Next()).ToArray();
        var result = (float[])pixels.Clone();
        int plane = size * size;
        for (int t = 0; t < n * n; t++)
        {
            int from = order[t], fy = from / n * tile, fx = from % n * tile, ty = t / n * tile, tx = t % n * tile;
            for (int c = 0; c < 3; c++)
            for (int y = 0; y < tile; y++)
                Array.Copy(pixels, c * plane + (fy + y) * size + fx, result, c * plane + (ty + y) * size + tx, tile);
        }
        return result;
    }

    /// <summary>Random colours on a 4x4 grid, bilinearly upsampled: colour and texture, no outline.</summary>
    private static float[] ColourNoise(Random rng, int size)
    {
        const int grid = 4;
        var cells = new float[3, grid, grid];
        for (int c = 0; c < 3; c++) for (int y = 0; y < grid; y++) for (int x = 0; x < grid; x++) cells[c, y, x] = (float)rng.NextDouble();
        var pixels = new float[3 * size * size];
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            float gy = Math.Clamp((y + 0.5f) * grid / size - 0.5f, 0, grid - 1), gx = Math.Clamp((x + 0.5f) * grid / size - 0.5f, 0, grid - 1);
            int y0 = (int)gy, x0 = (int)gx, y1 = Math.Min(y0 + 1, grid - 1), x1 = Math.Min(x0 + 1, grid - 1);
            float wy = gy - y0, wx = gx - x0;
            pixels[c * size * size + y * size + x] = (1 - wy) * ((1 - wx) * cells[c, y0, x0] + wx * cells[c, y0, x1]) + wy * ((1 - wx) * cells[c, y1, x0] + wx * cells[c, y1, x1]);
        }
        return pixels;
    }

    /// <summary>Separable Gaussian blur of a [3, size, size] image, edges clamped.</summary>
    internal static float[] Blur(float[] pixels, int size, float sigma)
    {
        int radius = (int)MathF.Ceiling(3 * sigma);
        var kernel = Enumerable.Range(-radius, 2 * radius + 1).Select(i => MathF.Exp(-i * i / (2 * sigma * sigma))).ToArray();
        float sum = kernel.Sum();
        for (int i = 0; i < kernel.Length; i++) kernel[i] /= sum;
        var tmp = new float[pixels.Length];
        var result = new float[pixels.Length];
        int plane = size * size;
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            float h = 0;
            for (int k = -radius; k <= radius; k++) h += kernel[k + radius] * pixels[c * plane + y * size + Math.Clamp(x + k, 0, size - 1)];
            tmp[c * plane + y * size + x] = h;
        }
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            float v = 0;
            for (int k = -radius; k <= radius; k++) v += kernel[k + radius] * tmp[c * plane + Math.Clamp(y + k, 0, size - 1) * size + x];
            result[c * plane + y * size + x] = v;
        }
        return result;
    }

    private static void AddNoise(float[] pixels, Random rng, float std)
    {
        if (std <= 0) return;
        for (int i = 0; i < pixels.Length; i++)
        {
            // Box-Muller normal sample.
            double u = 1 - rng.NextDouble(), w = rng.NextDouble();
            pixels[i] = Math.Clamp(pixels[i] + std * (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * w)), 0f, 1f);
        }
    }

    internal static long Index(IReadOnlyList<string> values, string value)
    {
        for (int i = 0; i < values.Count; i++) if (values[i] == value) return i;
        throw new ArgumentException($"'{value}' is not one of {string.Join(", ", values)}");
    }
}

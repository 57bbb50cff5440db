namespace ShapesWorld;

/// <summary>
/// Rasterises a <see cref="Scene"/> to an RGB image with 4x4 supersampling. Styles are drawn in image pixels so
/// that stripes and dots keep a fixed, learnable period whatever the shape's size.
/// </summary>
public static class SceneRenderer
{
    private const int Supersample = 4;

    /// <summary>Pixels as float RGB in 0..1, layout [3, size, size] (channel-major, as a tensor wants).</summary>
    public static float[] Render(Scene scene, int size) => Render(scene, size, (x, y) => ShapeGeometry.Distance(scene.Shape, x, y));

    /// <summary>
    /// Renders the scene's colour, style, background, place and rotation with another outline: <paramref name="distance"/>
    /// is the signed distance (negative inside) in the shape's unit frame, as <see cref="ShapeGeometry.Distance"/> gives.
    /// </summary>
    public static float[] Render(Scene scene, int size, Func<float, float, float> distance)
    {
        var pixels = new float[3 * size * size];
        var fg = WorldInventory.Rgb[scene.Color];
        var bg = WorldInventory.Rgb[scene.Background];
        float radiusPx = scene.Size * size;
        float cx = scene.CenterX * size, cy = scene.CenterY * size;
        float rot = scene.RotationDegrees * MathF.PI / 180, cos = MathF.Cos(rot), sin = MathF.Sin(rot);
        float outlinePx = MathF.Max(1.4f, size / 24f);
        float period = MathF.Max(4f, size / 8f);

        for (int py = 0; py < size; py++)
        for (int px = 0; px < size; px++)
        {
            float coverage = 0;
            for (int sy = 0; sy < Supersample; sy++)
            for (int sx = 0; sx < Supersample; sx++)
            {
                float ix = px + (sx + 0.5f) / Supersample, iy = py + (sy + 0.5f) / Supersample;
                float dx = (ix - cx) / radiusPx, dy = (cy - iy) / radiusPx;
                float lx = cos * dx + sin * dy, ly = -sin * dx + cos * dy;
                float dPx = distance(lx, ly) * radiusPx;
                if (dPx > 0) continue;
                bool paint = scene.Style switch
                {
                    "flat" => true,
                    "outlined" => dPx > -outlinePx,
                    "striped" => dPx > -outlinePx * 0.8f || Frac((ix + iy) / period) < 0.5f,
                    "dotted" => dPx > -outlinePx * 0.8f || Dot(ix, iy, period),
                    _ => throw new ArgumentException($"unknown style '{scene.Style}'"),
                };
                if (paint) coverage += 1f / (Supersample * Supersample);
            }
            int o = py * size + px;
            pixels[o] = bg.R + (fg.R - bg.R) * coverage;
            pixels[size * size + o] = bg.G + (fg.G - bg.G) * coverage;
            pixels[2 * size * size + o] = bg.B + (fg.B - bg.B) * coverage;
        }
        return pixels;
    }

    private static float Frac(float v) => v - MathF.Floor(v);

    private static bool Dot(float x, float y, float period)
    {
        float fx = Frac(x / period) - 0.5f, fy = Frac(y / period) - 0.5f;
        return fx * fx + fy * fy < 0.28f * 0.28f;
    }
}

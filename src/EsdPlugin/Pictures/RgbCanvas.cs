namespace EsdPlugin.Pictures;

/// <summary>An RGB pixel buffer to draw pictures into (grids of images, curves), saved as PNG.</summary>
internal sealed class RgbCanvas(int width, int height, (byte R, byte G, byte B) background)
{
    private readonly byte[] _pixels = Fill(width, height, background);

    public int Width { get; } = width;
    public int Height { get; } = height;

    private static byte[] Fill(int w, int h, (byte R, byte G, byte B) c)
    {
        var p = new byte[w * h * 3];
        for (int i = 0; i < p.Length; i += 3) (p[i], p[i + 1], p[i + 2]) = c;
        return p;
    }

    public void Set(int x, int y, (byte R, byte G, byte B) c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = (y * Width + x) * 3;
        (_pixels[i], _pixels[i + 1], _pixels[i + 2]) = c;
    }

    public void FillRect(int x, int y, int w, int h, (byte R, byte G, byte B) c)
    {
        for (int yy = y; yy < y + h; yy++)
            for (int xx = x; xx < x + w; xx++) Set(xx, yy, c);
    }

    /// <summary>A straight line (Bresenham).</summary>
    public void Line(int x0, int y0, int x1, int y1, (byte R, byte G, byte B) c)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
        while (true)
        {
            Set(x0, y0, c);
            if (x0 == x1 && y0 == y1) return;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }

    /// <summary>Copies an image of <paramref name="w"/> x <paramref name="h"/> RGB bytes with its top-left at (x, y).</summary>
    public void Blit(int x, int y, int w, int h, ReadOnlySpan<byte> rgb)
    {
        for (int yy = 0; yy < h; yy++)
            for (int xx = 0; xx < w; xx++)
            {
                int i = (yy * w + xx) * 3;
                Set(x + xx, y + yy, (rgb[i], rgb[i + 1], rgb[i + 2]));
            }
    }

    public byte[] ToPng() => PngWriter.Encode(Width, Height, _pixels);
}

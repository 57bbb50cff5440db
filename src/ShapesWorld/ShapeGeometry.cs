namespace ShapesWorld;

/// <summary>
/// Signed distance (negative inside) of each shape in its own unit frame: centred, radius about 1,
/// y pointing up. Distances are exact or close enough for 1-2 pixel outlines.
/// </summary>
public static class ShapeGeometry
{
    private static readonly (float X, float Y)[] Triangle = Regular(3, 1.05f, 90);
    private static readonly (float X, float Y)[] Diamond = [(0, 1.05f), (0.68f, 0), (0, -1.05f), (-0.68f, 0)];
    private static readonly (float X, float Y)[] Star = StarPolygon();

    public static float Distance(string shape, float x, float y) => shape switch
    {
        "circle" => MathF.Sqrt(x * x + y * y) - 0.9f,
        "square" => Box(x, y, 0.78f, 0.78f),
        "triangle" => Polygon(Triangle, x, y + 0.15f),
        "star" => Polygon(Star, x, y + 0.05f),
        "heart" => Heart(x, y),
        "cross" => MathF.Min(Box(x, y, 0.95f, 0.30f), Box(x, y, 0.30f, 0.95f)),
        "diamond" => Polygon(Diamond, x, y),
        "moon" => MathF.Max(MathF.Sqrt(x * x + y * y) - 0.95f, -(MathF.Sqrt((x - 0.45f) * (x - 0.45f) + (y - 0.2f) * (y - 0.2f)) - 0.78f)),
        _ => throw new ArgumentException($"unknown shape '{shape}'", nameof(shape)),
    };

    private static float Box(float x, float y, float hx, float hy)
    {
        float dx = MathF.Abs(x) - hx, dy = MathF.Abs(y) - hy;
        float outside = MathF.Sqrt(MathF.Max(dx, 0) * MathF.Max(dx, 0) + MathF.Max(dy, 0) * MathF.Max(dy, 0));
        return outside + MathF.Min(MathF.Max(dx, dy), 0);
    }

    private static float Heart(float x, float y)
    {
        // Two circles and a downward point; union of a rotated square and two lobes.
        float lobeL = MathF.Sqrt((x + 0.42f) * (x + 0.42f) + (y - 0.38f) * (y - 0.38f)) - 0.5f;
        float lobeR = MathF.Sqrt((x - 0.42f) * (x - 0.42f) + (y - 0.38f) * (y - 0.38f)) - 0.5f;
        (float X, float Y)[] tip = [(-0.87f, 0.22f), (0.87f, 0.22f), (0, -0.95f)];
        return MathF.Min(MathF.Min(lobeL, lobeR), Polygon(tip, x, y));
    }

    private static (float X, float Y)[] Regular(int n, float r, float startDegrees) =>
        Enumerable.Range(0, n).Select(i =>
        {
            double a = (startDegrees + 360.0 * i / n) * Math.PI / 180;
            return ((float)(r * Math.Cos(a)), (float)(r * Math.Sin(a)));
        }).ToArray();

    private static (float X, float Y)[] StarPolygon() =>
        Enumerable.Range(0, 10).Select(i =>
        {
            double a = (90 + 36.0 * i) * Math.PI / 180;
            double r = i % 2 == 0 ? 1.05 : 0.45;
            return ((float)(r * Math.Cos(a)), (float)(r * Math.Sin(a)));
        }).ToArray();

    /// <summary>Signed distance to a simple polygon (even-odd inside test).</summary>
    private static float Polygon((float X, float Y)[] v, float x, float y)
    {
        float best = float.MaxValue;
        bool inside = false;
        for (int i = 0, j = v.Length - 1; i < v.Length; j = i++)
        {
            var (ax, ay) = v[j];
            var (bx, by) = v[i];
            float ex = bx - ax, ey = by - ay, wx = x - ax, wy = y - ay;
            float t = Math.Clamp((wx * ex + wy * ey) / (ex * ex + ey * ey), 0, 1);
            float dx = wx - ex * t, dy = wy - ey * t;
            best = MathF.Min(best, dx * dx + dy * dy);
            if ((ay > y) != (by > y) && x < ax + (y - ay) * ex / ey) inside = !inside;
        }
        float d = MathF.Sqrt(best);
        return inside ? -d : d;
    }
}

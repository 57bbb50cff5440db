namespace ShapesWorld;

/// <summary>One image of the world: what is drawn and where. Centre and size are fractions of the image side.</summary>
public sealed record Scene(string Shape, string Color, string Style, string Background,
    float CenterX, float CenterY, float Size, float RotationDegrees)
{
    /// <summary>A random scene; attributes given as null are drawn uniformly.</summary>
    public static Scene Random(Random rng, string? shape = null, string? color = null, string? style = null, string? background = null)
    {
        static string Pick(Random r, IReadOnlyList<string> xs) => xs[r.Next(xs.Count)];
        float size = 0.30f + 0.12f * (float)rng.NextDouble();       // radius: 30..42% of the side
        float margin = size * 0.95f;
        return new Scene(
            shape ?? Pick(rng, WorldInventory.Shapes),
            color ?? Pick(rng, WorldInventory.Colors),
            style ?? Pick(rng, WorldInventory.Styles),
            background ?? Pick(rng, WorldInventory.Backgrounds),
            margin + (1 - 2 * margin) * (float)rng.NextDouble(),
            margin + (1 - 2 * margin) * (float)rng.NextDouble(),
            size,
            (float)(rng.NextDouble() * 40 - 20));
    }
}

namespace DiffusionEngine.Tests.SingleFile;

/// <summary>
/// One row of a fixture's keymap.tsv: a tensor of the single file, the diffusers tensor(s) it was made from (matched by
/// value when the fixture was written) and the transform, written diffusers -> file ("reshape [C, C] -> [C, C, 1, 1]").
/// </summary>
public sealed record KeymapRow(string FileKey, long[] FileShape, string Component, IReadOnlyList<string> DiffusersKeys,
    IReadOnlyList<long[]> DiffusersShapes, string Transform)
{
    public static IReadOnlyList<KeymapRow> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        Assert.Equal("single_file_key\tshape\tdiffusers_component\tdiffusers_key\tdiffusers_shape\ttransform", lines[0]);
        return lines.Skip(1).Where(l => l.Length > 0).Select(line =>
        {
            var f = line.Split('\t');
            Assert.True(f.Length == 6, $"{path}: row '{line}' has {f.Length} fields");
            return new KeymapRow(f[0], Shape(f[1]), f[2], f[3].Split(" | "), f[4].Split(" | ").Select(Shape).ToArray(), f[5]);
        }).ToList();
    }

    /// <summary>"[49408, 32]" -> {49408, 32}; "[]" -> {}.</summary>
    public static long[] Shape(string text)
    {
        var inner = text.Trim().TrimStart('[').TrimEnd(']').Trim();
        return inner.Length == 0 ? [] : inner.Split(',').Select(s => long.Parse(s.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
}

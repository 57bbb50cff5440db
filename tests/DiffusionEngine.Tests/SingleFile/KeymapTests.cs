using DiffusionEngine.Safetensors;
using DiffusionEngine.SingleFile;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.SingleFile;

/// <summary>
/// The key rules against the fixtures' keymap.tsv (written from the real conversion scripts and matched by value): the
/// same diffusers tensors and transform for every tensor of the file, one source for every diffusers tensor, the same values.
/// </summary>
public class KeymapTests
{
    [Theory]
    [InlineData(FixturePair.Sd1)]
    [InlineData(FixturePair.Sdxl)]
    public void EveryKeymapRowNamesTheSameDiffusersTensorsAndTransform(string fixture)
    {
        var pair = FixturePair.Get(fixture);
        // file key -> (component, diffusers key, transform) of every target whose rule names that key
        var readers = new Dictionary<string, List<(string Component, string Target, TensorTransform Transform)>>(StringComparer.Ordinal);
        foreach (var rules in pair.Layout.Components)
            foreach (var target in pair.Targets(rules.Component).Keys)
            {
                var source = rules.SourceOf(target);
                Assert.True(source is not null, $"{rules.Component} {target}: no rule names its source");
                if (!readers.TryGetValue(source.Key, out var list)) readers[source.Key] = list = [];
                list.Add((rules.Component, target, source.Transform));
            }

        var rows = KeymapRow.Read(pair.Keymap);
        Assert.Equal(rows.Select(r => r.FileKey).Order(StringComparer.Ordinal), readers.Keys.Order(StringComparer.Ordinal));
        foreach (var row in rows)
        {
            var named = readers[row.FileKey];
            Assert.All(named, n => Assert.Equal(row.Component, n.Component));
            if (row.Transform.StartsWith("concat(q, k, v) along dim 0", StringComparison.Ordinal))
            {
                // q, k, v in the row's order are rows 0, 1, 2 of 3.
                var byIndex = named.OrderBy(n => ((TensorTransform.RowSlice)n.Transform).Index).ToList();
                Assert.Equal(row.DiffusersKeys, byIndex.Select(n => n.Target));
                for (int i = 0; i < byIndex.Count; i++) Assert.Equal(new TensorTransform.RowSlice(i, 3), byIndex[i].Transform);
                continue;
            }
            var single = Assert.Single(named);
            Assert.Equal(row.DiffusersKeys, [single.Target]);
            switch (row.Transform)
            {
                case "copy":
                    Assert.IsType<TensorTransform.Copy>(single.Transform);
                    break;
                case "transpose":
                    Assert.IsType<TensorTransform.Transpose>(single.Transform);
                    break;
                case var t when t.StartsWith("reshape ", StringComparison.Ordinal):
                    // "reshape [diffusers] -> [file]": the transform makes the diffusers shape from the file's.
                    var sides = t["reshape ".Length..].Split(" -> ");
                    Assert.IsType<TensorTransform.Reshape>(single.Transform);
                    Assert.Equal(KeymapRow.Shape(sides[0]), single.Transform.TargetShape(KeymapRow.Shape(sides[1])));
                    Assert.Equal(row.FileShape, KeymapRow.Shape(sides[1]));
                    break;
                default:
                    Assert.Fail($"{row.FileKey}: unknown transform '{row.Transform}' in keymap.tsv");
                    break;
            }
        }
    }

    [Theory]
    [InlineData(FixturePair.Sd1)]
    [InlineData(FixturePair.Sdxl)]
    public void EveryDiffusersTensorHasExactlyOneSourceAndNothingIsLeftOver(string fixture)
    {
        var pair = FixturePair.Get(fixture);
        using var checkpoint = SingleFileCheckpoint.Open(pair.SingleFile);
        Assert.Equal(pair.Family, checkpoint.Family);
        var read = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rules in pair.Layout.Components)
        {
            var targets = pair.Targets(rules.Component);
            var mapping = ComponentMapping.Plan(rules, checkpoint.File, targets);
            Assert.True(mapping.Report.IsClean, mapping.Report.Describe());
            Assert.Equal(targets.Keys.Order(StringComparer.Ordinal), mapping.Sources.Keys.Order(StringComparer.Ordinal));
            Assert.Empty(mapping.Ignored);
            read.UnionWith(mapping.Sources.Values.Select(s => s.Key));
        }
        Assert.Empty(pair.Layout.Unclaimed(checkpoint.File));
        Assert.Equal(checkpoint.File.Entries.Keys.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(FixturePair.Sd1)]
    [InlineData(FixturePair.Sdxl)]
    public void MappedTensorsEqualTheFolderTensorsExactly(string fixture)
    {
        var pair = FixturePair.Get(fixture);
        using var checkpoint = SingleFileCheckpoint.Open(pair.SingleFile);
        int compared = 0;
        foreach (var rules in pair.Layout.Components)
        {
            using var folderFile = SafetensorsFile.Open(pair.Weights(rules.Component));
            var mapping = ComponentMapping.Plan(rules, checkpoint.File, pair.Targets(rules.Component));
            foreach (var target in folderFile.Entries.Keys)
            {
                using var expected = folderFile.Read(target);
                using var actual = mapping.Read(target);
                Assert.Equal(expected.shape, actual.shape);
                Assert.Equal(expected.dtype, actual.dtype);
                using var same = actual.eq(expected);
                using var all = same.all();
                Assert.True(all.item<bool>(), $"{rules.Component} {target} differs from {mapping.Sources[target]}");
                compared++;
            }
        }
        Assert.Equal(fixture == FixturePair.Sd1 ? 368 : 969, compared);
    }

    [Fact]
    public void RowSlicesAndTransposesConvertOnTheWayIntoAnotherDtype()
    {
        // The loader's path for a half-precision or GPU model: each part staged and converted, not copied as bytes.
        var pair = FixturePair.Get(FixturePair.Sdxl);
        var rules = pair.Layout.Component("text_encoder_2");
        using var checkpoint = SingleFileCheckpoint.Open(pair.SingleFile);
        using var folderFile = SafetensorsFile.Open(pair.Weights(rules.Component));
        var mapping = ComponentMapping.Plan(rules, checkpoint.File, pair.Targets(rules.Component));
        foreach (var target in new[] { "text_model.encoder.layers.1.self_attn.q_proj.weight", "text_model.encoder.layers.1.self_attn.k_proj.bias",
                     "text_model.encoder.layers.2.self_attn.v_proj.weight", "text_projection.weight" })
        {
            using var expected = folderFile.Read(target);
            using var wide = expected.to(ScalarType.Float64);
            using var actual = zeros(expected.shape, ScalarType.Float64);
            mapping.CopyInto(target, actual);
            using var same = actual.eq(wide);
            using var all = same.all();
            Assert.True(all.item<bool>(), target);
        }
    }
}

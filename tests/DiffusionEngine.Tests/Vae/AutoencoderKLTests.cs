using TestUtilities;
using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using DiffusionEngine.Vae;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.Vae;

public class AutoencoderKLTests(ITestOutputHelper output)
{
    private static string Alpha => AlphaFixture.Folder;
    private static string Probe(string file) => Path.Combine(Alpha, "probe", file);
    private static string WeightsPath => Path.Combine(Alpha, "vae", "diffusion_pytorch_model.safetensors");

    private static AutoencoderKL BuildAlpha() => new(VaeConfig.Load(Path.Combine(Alpha, "vae", "config.json")));

    private static AutoencoderKL LoadAlpha(string? weights = null, Func<string, string>? rename = null)
    {
        var vae = BuildAlpha();
        using var file = SafetensorsFile.Open(weights ?? WeightsPath);
        WeightLoader.Load("vae", vae, file, rename);
        vae.eval();
        return vae;
    }


    [Fact]
    public void ParameterNamesMatchTheFixtureFile()
    {
        using var vae = BuildAlpha();
        using var file = SafetensorsFile.Open(WeightsPath);
        var report = WeightLoader.Check("vae", vae, file);
        Assert.True(report.IsClean, report.Describe());
        Assert.Equal(658_375, vae.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void DecodeMatchesDiffusers()
    {
        using var vae = LoadAlpha();
        using var inputs = SafetensorsFile.Open(Probe("inputs.safetensors"));
        using var outputs = SafetensorsFile.Open(Probe("outputs.safetensors"));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var latents = inputs.Read("vae.latents") / vae.Config.ScalingFactor;
        var expected = outputs.Read("vae.decoded");

        var actual = vae.Decode(latents);

        Assert.Equal(expected.shape, actual.shape);
        double err = Tolerances.RelativeError(actual, expected);
        output.WriteLine($"vae.decoded relative error {err:E3}");
        Assert.True(err <= 1e-4, $"relative error {err:E3}");
    }

    [Fact]
    public void EncodeMeanMatchesDiffusers()
    {
        using var vae = LoadAlpha();
        using var inputs = SafetensorsFile.Open(Probe("inputs.safetensors"));
        using var outputs = SafetensorsFile.Open(Probe("outputs.safetensors"));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var expected = outputs.Read("vae.encoded_mean");

        var actual = vae.Encode(inputs.Read("vae.image"));

        Assert.Equal(expected.shape, actual.shape);
        double err = Tolerances.RelativeError(actual, expected);
        output.WriteLine($"vae.encoded_mean relative error {err:E3}");
        Assert.True(err <= 1e-4, $"relative error {err:E3}");
    }

    [Theory]
    [InlineData("decoder.mid_block.attentions.0.query.weight", "decoder.mid_block.attentions.0.to_q.weight")]
    [InlineData("encoder.mid_block.attentions.0.key.bias", "encoder.mid_block.attentions.0.to_k.bias")]
    [InlineData("decoder.mid_block.attentions.0.value.weight", "decoder.mid_block.attentions.0.to_v.weight")]
    [InlineData("encoder.mid_block.attentions.0.proj_attn.bias", "encoder.mid_block.attentions.0.to_out.0.bias")]
    [InlineData("decoder.mid_block.attentions.0.to_q.weight", "decoder.mid_block.attentions.0.to_q.weight")]
    [InlineData("decoder.mid_block.attentions.0.group_norm.weight", "decoder.mid_block.attentions.0.group_norm.weight")]
    [InlineData("decoder.up_blocks.0.resnets.0.conv1.weight", "decoder.up_blocks.0.resnets.0.conv1.weight")]
    [InlineData("decoder.query.weight", "decoder.query.weight")]
    public void LegacyAttentionNamesMapToCurrentOnes(string legacy, string current) =>
        Assert.Equal(current, AutoencoderKL.MapLegacyName(legacy));

    [Fact]
    public void FileWithLegacyAttentionNamesLoadsAndDecodesTheSame()
    {
        var legacyPath = Path.Combine(Path.GetTempPath(), $"vae-legacy-{Guid.NewGuid():N}.safetensors");
        var toLegacy = new Dictionary<string, string> { ["to_q"] = "query", ["to_k"] = "key", ["to_v"] = "value", ["to_out.0"] = "proj_attn" };
        try
        {
            using (var source = SafetensorsFile.Open(WeightsPath))
            using (var scope = NewDisposeScope())
            {
                var renamed = source.Entries.Keys.Select(name =>
                {
                    string legacy = name;
                    foreach (var (now, old) in toLegacy)
                        legacy = legacy.Replace($"mid_block.attentions.0.{now}.", $"mid_block.attentions.0.{old}.", StringComparison.Ordinal);
                    return new KeyValuePair<string, Tensor>(legacy, source.Read(name));
                }).ToList();
                Assert.Equal(16, renamed.Count(kv => kv.Key.Contains(".query.") || kv.Key.Contains(".key.") || kv.Key.Contains(".value.") || kv.Key.Contains(".proj_attn.")));
                SafetensorsWriter.Write(legacyPath, renamed);
            }

            using var vae = BuildAlpha();
            using (var legacyFile = SafetensorsFile.Open(legacyPath))
            {
                Assert.False(WeightLoader.Check("vae", vae, legacyFile).IsClean);
                var report = WeightLoader.Load("vae", vae, legacyFile, AutoencoderKL.MapLegacyName);
                Assert.True(report.IsClean, report.Describe());
            }
            vae.eval();

            using var inputs = SafetensorsFile.Open(Probe("inputs.safetensors"));
            using var outputs = SafetensorsFile.Open(Probe("outputs.safetensors"));
            using var noGrad = no_grad();
            using var s = NewDisposeScope();
            var decoded = vae.Decode(inputs.Read("vae.latents") / vae.Config.ScalingFactor);
            Assert.True(Tolerances.RelativeError(decoded, outputs.Read("vae.decoded")) <= 1e-4);
        }
        finally { File.Delete(legacyPath); }
    }

    [Fact]
    public void Sd15ConfigBuildsTheFullSizeModel()
    {
        using var vae = new AutoencoderKL(VaeConfig.Load(Path.Combine(RepoPaths.Sd15Configs, "vae", "config.json")));
        Assert.Equal(83_653_863, vae.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void OptionalPartsFollowTheConfig()
    {
        var config = VaeConfig.Parse("""
            { "block_out_channels": [16, 32, 32], "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
              "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"], "norm_num_groups": 8,
              "use_quant_conv": false, "use_post_quant_conv": false, "mid_block_add_attention": false }
            """, "lean.json");
        using var vae = new AutoencoderKL(config);
        vae.eval();
        var names = vae.state_dict().Keys.ToList();
        Assert.DoesNotContain(names, n => n.StartsWith("quant_conv.", StringComparison.Ordinal) || n.StartsWith("post_quant_conv.", StringComparison.Ordinal));
        Assert.DoesNotContain(names, n => n.Contains(".attentions.", StringComparison.Ordinal));

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var latent = vae.Encode(randn(1, 3, 32, 24));
        Assert.Equal([1L, 4, 8, 6], latent.shape);
        var image = vae.Decode(latent);
        Assert.Equal([1L, 3, 32, 24], image.shape);
    }

    [Fact]
    public void DecodesInBFloat16()
    {
        using var vae = LoadAlpha();
        vae.to(ScalarType.BFloat16);
        using var inputs = SafetensorsFile.Open(Probe("inputs.safetensors"));
        using var outputs = SafetensorsFile.Open(Probe("outputs.safetensors"));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var latents = (inputs.Read("vae.latents") / vae.Config.ScalingFactor).to(ScalarType.BFloat16);
        var decoded = vae.Decode(latents);
        Assert.Equal(ScalarType.BFloat16, decoded.dtype);
        double err = Tolerances.RelativeError(decoded, outputs.Read("vae.decoded"));
        Assert.True(err <= 5e-2, $"relative error {err:E3}");
    }
}

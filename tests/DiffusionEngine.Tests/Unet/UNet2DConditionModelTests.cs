using TestUtilities;
using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using DiffusionEngine.Unet;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.Unet;

public class UNet2DConditionModelTests(ITestOutputHelper output)
{
    private static string Alpha => AlphaFixture.Folder;
    private static string Probe(string file) => Path.Combine(Alpha, "probe", file);

    private static UNet2DConditionModel LoadAlpha()
    {
        var unet = new UNet2DConditionModel(UNetConfig.Load(Path.Combine(Alpha, "unet", "config.json")));
        using var file = SafetensorsFile.Open(Path.Combine(Alpha, "unet", "diffusion_pytorch_model.safetensors"));
        WeightLoader.Load("unet", unet, file);
        unet.eval();
        return unet;
    }


    [Fact]
    public void ParameterNamesMatchTheFixtureFile()
    {
        using var unet = new UNet2DConditionModel(UNetConfig.Load(Path.Combine(Alpha, "unet", "config.json")));
        using var file = SafetensorsFile.Open(Path.Combine(Alpha, "unet", "diffusion_pytorch_model.safetensors"));
        var report = WeightLoader.Check("unet", unet, file);
        Assert.True(report.IsClean, report.Describe());
        Assert.Equal(792_964, unet.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void ForwardMatchesDiffusersOnTheAlphaProbe()
    {
        using var unet = LoadAlpha();
        using var inputs = SafetensorsFile.Open(Probe("inputs.safetensors"));
        using var outputs = SafetensorsFile.Open(Probe("outputs.safetensors"));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var sample = inputs.Read("unet.sample");
        var timestep = inputs.Read("unet.timestep");
        var context = inputs.Read("unet.encoder_hidden_states");
        var expected = outputs.Read("unet.out");

        var actual = unet.forward(sample, timestep, context);

        Assert.Equal(expected.shape, actual.shape);
        double err = Tolerances.RelativeError(actual, expected);
        output.WriteLine($"unet.out relative error {err:E3}");
        Assert.True(err <= 1e-4, $"relative error {err:E3}");
    }

    [Fact]
    public void ScalarTimestepIsBroadcastOverTheBatch()
    {
        using var unet = LoadAlpha();
        using var inputs = SafetensorsFile.Open(Probe("inputs.safetensors"));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var sample = inputs.Read("unet.sample");
        var context = inputs.Read("unet.encoder_hidden_states");

        var perElement = unet.forward(sample, tensor(new long[] { 500, 500 }), context);
        var scalar = unet.forward(sample, tensor(500L), context);
        var single = unet.forward(sample, tensor(new long[] { 500 }), context);

        Assert.Equal(0.0, (perElement - scalar).abs().max().item<float>());
        Assert.Equal(0.0, (perElement - single).abs().max().item<float>());
        // Different timesteps per element must matter, or the broadcast test proves nothing.
        var mixed = unet.forward(sample, tensor(new long[] { 500, 10 }), context);
        Assert.True((perElement - mixed).abs().max().item<float>() > 1e-3);
    }

    [Theory]
    [InlineData(ScalarType.Float16, 2e-2)]
    [InlineData(ScalarType.BFloat16, 5e-2)]
    public void RunsInReducedPrecision(ScalarType dtype, double tolerance)
    {
        using var unet = LoadAlpha();
        unet.to(dtype);
        using var inputs = SafetensorsFile.Open(Probe("inputs.safetensors"));
        using var outputs = SafetensorsFile.Open(Probe("outputs.safetensors"));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var sample = inputs.Read("unet.sample").to(dtype);
        var context = inputs.Read("unet.encoder_hidden_states").to(dtype);
        var expected = outputs.Read("unet.out");

        var actual = unet.forward(sample, inputs.Read("unet.timestep"), context);

        Assert.Equal(dtype, actual.dtype);
        double err = Tolerances.RelativeError(actual, expected);
        output.WriteLine($"{dtype}: unet.out relative error {err:E3}");
        Assert.True(err <= tolerance, $"{dtype}: relative error {err:E3}");
    }

    [Fact]
    public void InputOfTheWrongDtypeIsRejected()
    {
        using var unet = new UNet2DConditionModel(UNetConfig.Load(Path.Combine(Alpha, "unet", "config.json")));
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() =>
            unet.forward(zeros(1, 4, 8, 8, ScalarType.Float64), tensor(1L), zeros(1, 77, 32, ScalarType.Float64)));
        Assert.Contains("dtype", e.Message);
    }

    [Fact]
    public void Sd15ConfigBuildsTheFullSizeModel()
    {
        using var meta = DiffusionEngine.Layers.ModuleBuild.On(new Device("meta")); // 3.4 GB on the CPU otherwise
        using var unet = new UNet2DConditionModel(UNetConfig.Load(Path.Combine(RepoPaths.Sd15Configs, "unet", "config.json")));
        Assert.Equal(859_520_964, unet.parameters().Sum(p => p.numel()));
        var names = unet.state_dict().Keys.ToHashSet();
        // SD 1.5 has no linear projections: 1x1 conv proj_in, and 8 heads of 40 in the first block.
        Assert.Contains("down_blocks.0.attentions.0.proj_in.weight", names);
        Assert.Equal([320L, 320, 1, 1], unet.state_dict()["down_blocks.0.attentions.0.proj_in.weight"].shape);
        Assert.Contains("up_blocks.3.attentions.2.transformer_blocks.0.ff.net.2.weight", names);
    }

    [Fact]
    public void OtherSd1FamilyConfigBuildsAndRuns()
    {
        // Linear projections, three levels, two resnets and two transformer layers per block, per-block heads,
        // and a latent size that is not a multiple of the total down factor (4).
        var config = UNetConfig.Parse("""
            {
              "block_out_channels": [16, 32, 32],
              "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
              "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
              "layers_per_block": 2,
              "transformer_layers_per_block": 2,
              "attention_head_dim": [2, 4, 4],
              "use_linear_projection": true,
              "cross_attention_dim": 24,
              "norm_num_groups": 8,
              "in_channels": 4,
              "out_channels": 4
            }
            """, "sd2-like.json");
        torch.manual_seed(7);
        using var unet = new UNet2DConditionModel(config);
        unet.eval();
        var names = unet.state_dict();
        Assert.Equal([16L, 16], names["down_blocks.0.attentions.0.proj_in.weight"].shape);
        Assert.Contains("down_blocks.1.attentions.1.transformer_blocks.1.attn2.to_k.weight", names.Keys);
        Assert.Contains("up_blocks.2.attentions.2.transformer_blocks.1.norm3.weight", names.Keys);
        Assert.Contains("mid_block.attentions.0.transformer_blocks.1.ff.net.0.proj.weight", names.Keys);
        Assert.Equal([32L, 24], names["mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight"].shape);

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var output = unet.forward(randn(2, 4, 10, 14), tensor(new long[] { 999, 3 }), randn(2, 77, 24));
        Assert.Equal([2L, 4, 10, 14], output.shape);
        Assert.False(output.isnan().any().item<bool>());
    }

    [Fact]
    public void NullMidBlockTypeBuildsWithoutMidBlock()
    {
        var config = UNetConfig.Parse("""
            { "block_out_channels": [16, 32], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
              "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "mid_block_type": null, "attention_head_dim": 4,
              "cross_attention_dim": 8, "norm_num_groups": 8, "layers_per_block": 1 }
            """, "no-mid.json");
        Assert.Null(config.MidBlockType);
        using var unet = new UNet2DConditionModel(config);
        unet.eval();
        Assert.DoesNotContain(unet.state_dict().Keys, k => k.StartsWith("mid_block.", StringComparison.Ordinal));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Assert.Equal([1L, 4, 8, 8], unet.forward(randn(1, 4, 8, 8), tensor(5L), randn(1, 7, 8)).shape);
    }

    [Fact]
    public void UnloadedModelHasNormsInitialisedLikePyTorch()
    {
        // Random-weight models (benchmarks, training from scratch) must not start from uninitialised memory.
        using var unet = new UNet2DConditionModel(UNetConfig.Load(Path.Combine(Alpha, "unet", "config.json")));
        using var noGrad = no_grad();
        foreach (var (name, p) in unet.named_parameters())
        {
            Assert.True(p.isfinite().all().item<bool>(), $"{name} has non-finite values");
            bool isNorm = name.Contains("norm", StringComparison.Ordinal) && !name.Contains("proj", StringComparison.Ordinal);
            if (isNorm && name.EndsWith(".weight", StringComparison.Ordinal)) Assert.True(p.eq(1).all().item<bool>(), $"{name} should start at 1");
            if (isNorm && name.EndsWith(".bias", StringComparison.Ordinal)) Assert.True(p.eq(0).all().item<bool>(), $"{name} should start at 0");
        }
    }

    [Fact]
    public void GradientsFlowToTheCrossAttention()
    {
        using var unet = LoadAlpha();
        unet.train();
        using var inputs = SafetensorsFile.Open(Probe("inputs.safetensors"));
        using var scope = NewDisposeScope();
        var output = unet.forward(inputs.Read("unet.sample"), inputs.Read("unet.timestep"), inputs.Read("unet.encoder_hidden_states"));
        output.square().mean().backward();
        var grad = unet.named_parameters().Single(p => p.name == "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight").parameter.grad;
        Assert.NotNull(grad);
        Assert.True(grad!.abs().sum().item<float>() > 0);
    }
}

using DiffusionEngine.StableDiffusion;
using TestUtilities;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.Text;

/// <summary>
/// Learned prompt tokens (the embedding attacks' and textual inversion's way in): embeddings spliced in after the start
/// token give exactly what the tokens themselves give there, and gradients reach them.
/// </summary>
public class LearnedTokensTests
{
    public static TheoryData<string> Fixtures => ["alpha", "sdxl-alpha"];

    private static string Folder(string name) => name == "alpha" ? AlphaFixture.Folder : SingleFileFixtures.SdxlAlphaFolder;

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void RealTokensEmbeddingsGiveThePromptWithThoseWordsInFront(string fixture)
    {
        using var model = StableDiffusionModel.Load(Folder(fixture), CPU, ScalarType.Float32);
        using var scope = NewDisposeScope();
        // "painting" and "cat" as learned tokens before "a photo of a dog" = the prompt "painting cat a photo of a dog".
        var words = model.Tokenizer.EncodeBatch(["painting cat"]);       // [1, 77]: start, painting, cat, end, padding
        var ids = words[0, 1..3];                                        // [2]
        var learned = model.EmbedTokens(ids);
        Assert.Equal(2, learned.shape[0]);
        using var spliced = model.EncodeWithLearnedTokens("a photo of a dog", learned);
        using var written = model.EncodePrompts(["painting cat a photo of a dog"]);
        Assert.Equal(written.HiddenStates.shape, spliced.HiddenStates.shape);
        Assert.True(spliced.HiddenStates.allclose(written.HiddenStates, rtol: 1e-5, atol: 1e-6), "hidden states differ");
        if (written.Added is not null)
            Assert.True(spliced.Added!.TextEmbeds.allclose(written.Added.TextEmbeds, rtol: 1e-5, atol: 1e-6), "pooled embeddings differ");
        // Different tokens, different conditioning.
        using var other = model.EncodeWithLearnedTokens("a photo of a dog", learned.flip(0));
        Assert.False(other.HiddenStates.allclose(written.HiddenStates, rtol: 1e-3, atol: 1e-4));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void GradientsReachTheLearnedTokensOnly(string fixture)
    {
        using var model = StableDiffusionModel.Load(Folder(fixture), CPU, ScalarType.Float32);
        using var scope = NewDisposeScope();
        var learned = model.EmbedTokens(tensor(new long[] { 320, 1125, 539 })).clone().requires_grad_(true);
        using var cond = model.EncodeWithLearnedTokens("a cat", learned);
        var loss = cond.HiddenStates.pow(2).mean() + (cond.Added?.TextEmbeds.pow(2).mean() ?? zeros(1));
        loss.backward();
        Assert.NotNull(learned.grad);
        Assert.True(learned.grad!.abs().sum().item<float>() > 0);
        Assert.All(model.TextEncoder.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void TooManyOrMisshapenTokensAreRefused()
    {
        using var model = StableDiffusionModel.Load(AlphaFixture.Folder, CPU, ScalarType.Float32);
        var e = Assert.Throws<ArgumentException>(() => model.EncodeWithLearnedTokens("a cat", zeros(76, 32)));
        Assert.Contains("1 <= K <= 75", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.EncodeWithLearnedTokens("a cat", zeros(2, 31)));
        Assert.Contains("[K, 32]", e.Message);
    }
}

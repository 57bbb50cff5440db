using TestUtilities;
using DiffusionEngine.Text;
using ShapesWorld;
using ShapesWorld.Training;

namespace ShapesWorld.Tests;

public class WorldVocabularyTests
{
    [Fact]
    public void WorldWordsAreSingleTokensAndAnyTextStillTokenizes()
    {
        using var tmp = new TempFolder();
        var (vocab, merges) = WorldVocabulary.Build(seed: 1, captions: 3000);
        WorldVocabulary.Write(tmp.Path, vocab, merges);
        var tokenizer = ClipTokenizer.FromFolder(tmp.Path);

        foreach (var word in WorldInventory.Shapes.Concat(WorldInventory.Colors).Concat(WorldInventory.Styles))
            Assert.Equal([word + "</w>"], tokenizer.Tokens(word));
        var ids = tokenizer.Encode("a striped red star");
        Assert.Equal(tokenizer.StartTokenId, ids[0]);
        Assert.Equal(tokenizer.EndTokenId, ids[5]);
        Assert.Equal(77, ids.Length);

        // Text outside the world falls back to byte-level symbols, never to unknown tokens.
        var unusual = tokenizer.Encode("Zebra 42 ünïcode!");
        Assert.DoesNotContain(unusual[1..unusual.ToList().IndexOf(tokenizer.EndTokenId)], id => id == tokenizer.UnknownTokenId);
    }
}

using TestUtilities;
using DiffusionEngine.Safetensors;
using DiffusionEngine.Text;

namespace DiffusionEngine.Tests.Text;

public class ClipTokenizerTests
{
    private static readonly string BpeDir = RepoPaths.ClipBpe;
    private static readonly string ProbeDir = Path.Combine(AlphaFixture.Folder, "probe");
    private static readonly Lazy<ClipTokenizer> Shared = new(() => ClipTokenizer.FromFolder(BpeDir));
    private static ClipTokenizer Tokenizer => Shared.Value;

    private static long[] Padded(params long[] head)
    {
        var ids = Enumerable.Repeat(49407L, 77).ToArray();
        head.CopyTo(ids, 0);
        return ids;
    }

    [Fact]
    public void SpecialIdsComeFromTheVocabulary()
    {
        Assert.Equal(49406, Tokenizer.StartTokenId);
        Assert.Equal(49407, Tokenizer.EndTokenId);
        Assert.Equal(49407, Tokenizer.PadTokenId);
        Assert.Equal(77, Tokenizer.MaxLength);
        Assert.Equal(49408, Tokenizer.VocabSize);
        Assert.Equal(48894, Tokenizer.MergeCount);
    }

    [Fact]
    public void PhotoOfACatMatchesClip()
    {
        Assert.Equal(Padded(49406, 320, 1125, 539, 320, 2368, 49407), Tokenizer.Encode("a photo of a cat"));
    }

    [Fact]
    public void AstronautPromptMatchesClip()
    {
        Assert.Equal(Padded(49406, 320, 8853, 539, 550, 18376, 6765, 320, 4558, 49407),
            Tokenizer.Encode("a photograph of an astronaut riding a horse"));
    }

    [Fact]
    public void EmptyPromptIsStartThenEnds()
    {
        Assert.Equal(Padded(49406), Tokenizer.Encode(""));
        Assert.Equal(Padded(49406), Tokenizer.Encode("  \t\n "));
    }

    [Fact]
    public void FixtureInputIdsEqualExactly()
    {
        using var inputs = SafetensorsFile.Open(Path.Combine(ProbeDir, "inputs.safetensors"));
        using var expected = inputs.Read("text_input_ids");
        Assert.Equal(new long[] { 2, 77 }, expected.shape);
        string[] prompts = ["a photo of a cat", "a painting in the style of van gogh"];
        for (int row = 0; row < prompts.Length; row++)
        {
            using var expectedRow = expected[row];
            Assert.Equal(expectedRow.data<long>().ToArray(), Tokenizer.Encode(prompts[row]));
        }
        using var batch = Tokenizer.EncodeBatch(prompts);
        Assert.Equal(expected.data<long>().ToArray(), batch.data<long>().ToArray());
        Assert.Equal(expected.shape, batch.shape);
    }

    [Fact]
    public void CaseAndWhitespaceAreNormalised()
    {
        Assert.Equal(Tokenizer.Encode("a photo of a cat"), Tokenizer.Encode("  A   Photo\tOF a\r\nCAT  "));
    }

    [Fact]
    public void LongTextIsTruncatedToStart75TokensEnd()
    {
        var words = Enumerable.Range(0, 120).Select(i => i % 2 == 0 ? "cat" : "photo");
        string text = string.Join(' ', words);
        var ids = Tokenizer.Encode(text);
        Assert.Equal(77, ids.Length);
        Assert.Equal(49406, ids[0]);
        Assert.Equal(49407, ids[76]);
        var tokens = Tokenizer.Tokens(text);
        Assert.Equal(120, tokens.Count);
        Assert.DoesNotContain(49407L, ids[1..76]);
        for (int i = 0; i < 75; i++) Assert.Equal(i % 2 == 0 ? 2368 : 1125, ids[1 + i]);
    }

    [Fact]
    public void PunctuationDigitsAndContractionsSplitLikeTheClipPattern()
    {
        var ids = Tokenizer.Encode("it's 3 cats!!");
        Assert.Equal(49406, ids[0]);
        int end = Array.IndexOf(ids, 49407L);
        Assert.True(end > 1);
        Assert.All(ids, id => Assert.InRange(id, 0, Tokenizer.VocabSize - 1));
        // Every pre-token ends with "</w>"; the pattern splits "it's" before the contraction, each digit
        // on its own, and a punctuation run apart from the letters.
        Assert.Equal("it 's 3 cats !!", Tokenizer.Decode(ids));
        Assert.Equal("1 2 3 4 5", Tokenizer.Decode(Tokenizer.Encode("12345")));
        Assert.Equal("we 're here", Tokenizer.Decode(Tokenizer.Encode("We're here")));
    }

    [Fact]
    public void UnicodeTextTokenizesAndRoundTrips()
    {
        string text = "Café naïve — 東京 😀 Ωmega ünïcödé 𝔘nicode";
        var ids = Tokenizer.Encode(text);
        Assert.All(ids, id => Assert.InRange(id, 0, Tokenizer.VocabSize - 1));
        // No byte is lost: byte-level BPE covers every UTF-8 sequence. CJK ideographs stand alone.
        Assert.Equal("café naïve — 東 京 😀 ωmega ünïcödé 𝔘nicode", Tokenizer.Decode(ids));
    }

    [Fact]
    public void SpecialTokensInsideAPromptKeepTheirIds()
    {
        var ids = Tokenizer.Encode("a <|endoftext|> cat");
        Assert.Equal(new long[] { 49406, 320, 49407, 2368, 49407 }, ids[..5]);
    }

    [Fact]
    public void TokensAreTheBpeStrings()
    {
        Assert.Equal(["a</w>", "photo</w>", "of</w>", "a</w>", "cat</w>"], Tokenizer.Tokens("a photo of a cat"));
    }

    [Fact]
    public void RepeatedEncodingIsStable()
    {
        var first = Tokenizer.Encode("an astronaut riding a horse on mars");
        Assert.Equal(first, Tokenizer.Encode("an astronaut riding a horse on mars"));
    }

    [Fact]
    public void SymbolsMissingFromASmallVocabularyBecomeTheUnknownId()
    {
        using var dir = new TempFolder();
        File.WriteAllText(Path.Combine(dir.Path, "vocab.json"),
            "{\"a</w>\": 0, \"c\": 1, \"at</w>\": 2, \"cat</w>\": 3, \"<|startoftext|>\": 4, \"<|endoftext|>\": 5}");
        File.WriteAllText(Path.Combine(dir.Path, "merges.txt"), "#version: 0.2\na t</w>\nc at</w>\n");
        var small = ClipTokenizer.FromFolder(dir.Path, maxLength: 8);
        Assert.Equal(4, small.StartTokenId);
        Assert.Equal(5, small.EndTokenId);
        Assert.Equal(new long[] { 4, 0, 3, 5, 5, 5, 5, 5 }, small.Encode("a cat"));
        // "b" and the two UTF-8 bytes of "ü" (C3 BC) have no entries: each unknown symbol maps to the
        // unknown (= end) id.
        Assert.Equal(new long[] { 4, 0, 5, 5, 5, 3, 5, 5 }, small.Encode("a b ü cat"));
        string c3 = ByteLevelAlphabet.Encode(0xC3).ToString(), bc = ByteLevelAlphabet.Encode(0xBC).ToString();
        Assert.Equal(["a</w>", "b</w>", c3, bc + "</w>", "cat</w>"], small.Tokens("a b ü cat"));
    }

    [Fact]
    public void MissingFilesAreNamed()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromFolder(dir.Path));
        Assert.Contains("vocab.json", e.Message);
        File.WriteAllText(Path.Combine(dir.Path, "vocab.json"), "{\"<|startoftext|>\": 0, \"<|endoftext|>\": 1}");
        e = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromFolder(dir.Path));
        Assert.Contains("merges.txt", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => ClipTokenizer.FromFolder(Path.Combine(dir.Path, "nope")));
    }

    [Fact]
    public void MalformedFilesAreNamed()
    {
        using var dir = new TempFolder();
        string vocab = Path.Combine(dir.Path, "vocab.json"), merges = Path.Combine(dir.Path, "merges.txt");
        File.WriteAllText(merges, "#version: 0.2\na b\nthis line has three\n");
        File.WriteAllText(vocab, "{\"<|startoftext|>\": 0, \"<|endoftext|>\": 1}");
        var e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFolder(dir.Path));
        Assert.Contains("merges.txt", e.Message);
        Assert.Contains("line 3", e.Message);

        File.WriteAllText(merges, "#version: 0.2\na b\n");
        File.WriteAllText(vocab, "{\"a\": 0, ");
        e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFolder(dir.Path));
        Assert.Contains("vocab.json", e.Message);

        File.WriteAllText(vocab, "{\"a\": \"zero\"}");
        e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFolder(dir.Path));
        Assert.Contains("vocab.json", e.Message);
        Assert.Contains("'a'", e.Message);

        File.WriteAllText(vocab, "{\"a\": 0, \"<|startoftext|>\": 1}");
        e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFolder(dir.Path));
        Assert.Contains("vocab.json", e.Message);
        Assert.Contains("<|endoftext|>", e.Message);
    }
}

using System.Text;
using Newtonsoft.Json;
using DiffusionEngine.Text;
using DiffusionEngine.IO;

namespace ShapesWorld.Training;

/// <summary>
/// Makes the bundled model's tokenizer files in the CLIP BPE format (<c>vocab.json</c> + <c>merges.txt</c>):
/// the 256 byte-level symbols and their end-of-word forms (so any text still tokenizes), merges learnt by
/// byte-pair counting over the world's captions until no pair repeats, then the start and end tokens.
/// </summary>
public static class WorldVocabulary
{
    public static (List<string> Vocab, List<(string, string)> Merges) Build(int seed, int captions = 20000, int maxMerges = 4000)
    {
        var rng = new Random(seed);
        var words = new Dictionary<string, int>();
        void AddText(string text)
        {
            foreach (var pre in ClipPreTokenizer.Split(ClipTextCleaner.Clean(text)))
                words[pre] = words.GetValueOrDefault(pre) + 1;
        }
        for (int i = 0; i < captions; i++) AddText(CaptionWriter.Write(Scene.Random(rng), rng));
        // Every inventory word becomes a single token even if captions rarely use it.
        foreach (var w in WorldInventory.Shapes.Concat(WorldInventory.Colors).Concat(WorldInventory.Styles).Concat(WorldInventory.Backgrounds))
            words[w] = words.GetValueOrDefault(w) + 10;

        var split = words.ToDictionary(kv => kv.Key, kv => Symbols(kv.Key));
        var merges = new List<(string, string)>();
        while (merges.Count < maxMerges)
        {
            var counts = new Dictionary<(string, string), int>();
            foreach (var (word, freq) in words)
            {
                var s = split[word];
                for (int i = 0; i + 1 < s.Count; i++) counts[(s[i], s[i + 1])] = counts.GetValueOrDefault((s[i], s[i + 1])) + freq;
            }
            if (counts.Count == 0) break;
            var best = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1, StringComparer.Ordinal).ThenBy(kv => kv.Key.Item2, StringComparer.Ordinal).First();
            if (best.Value < 2) break;
            merges.Add(best.Key);
            foreach (var word in words.Keys)
            {
                var s = split[word];
                for (int i = 0; i + 1 < s.Count; i++)
                    if (s[i] == best.Key.Item1 && s[i + 1] == best.Key.Item2)
                    {
                        s[i] += s[i + 1];
                        s.RemoveAt(i + 1);
                    }
            }
        }

        var vocab = new List<string>();
        for (int b = 0; b < 256; b++) vocab.Add(ByteLevelAlphabet.Encode((byte)b).ToString());
        for (int b = 0; b < 256; b++) vocab.Add(ByteLevelAlphabet.Encode((byte)b) + BpeMerges.EndOfWord);
        var seen = new HashSet<string>(vocab);
        foreach (var (a, b) in merges) if (seen.Add(a + b)) vocab.Add(a + b);
        vocab.Add(ClipPreTokenizer.StartOfText);
        vocab.Add(ClipPreTokenizer.EndOfText);
        return (vocab, merges);
    }

    private static List<string> Symbols(string preToken)
    {
        var chars = ByteLevelAlphabet.EncodeUtf8(preToken).Select(c => c.ToString()).ToList();
        chars[^1] += BpeMerges.EndOfWord;
        return chars;
    }

    public static void Write(string tokenizerFolder, List<string> vocab, List<(string, string)> merges)
    {
        Directory.CreateDirectory(tokenizerFolder);
        var map = new Dictionary<string, int>();
        for (int i = 0; i < vocab.Count; i++) map[vocab[i]] = i;
        AtomicFile.WriteAllText(Path.Combine(tokenizerFolder, ClipTokenizer.VocabFileName), JsonConvert.SerializeObject(map));
        var sb = new StringBuilder("#version: 0.2\n");
        foreach (var (a, b) in merges) sb.Append(a).Append(' ').Append(b).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(tokenizerFolder, ClipTokenizer.MergesFileName), sb.ToString());
        AtomicFile.WriteAllText(Path.Combine(tokenizerFolder, "tokenizer_config.json"),
            "{\n  \"tokenizer_class\": \"CLIPTokenizer\",\n  \"model_max_length\": 77,\n  \"bos_token\": \"<|startoftext|>\",\n  \"eos_token\": \"<|endoftext|>\",\n  \"pad_token\": \"<|endoftext|>\",\n  \"unk_token\": \"<|endoftext|>\"\n}\n");
    }

}

using System.Collections.Concurrent;

namespace DiffusionEngine.Text;

/// <summary>
/// Byte-pair encoding by merge rank (CLIP's variant): a pre-token's symbols are its characters with
/// "&lt;/w&gt;" glued to the last one; the adjacent pair with the lowest rank is merged everywhere (left to
/// right, non-overlapping) until no adjacent pair has a rank. Results are cached per pre-token.
/// </summary>
public sealed class BpeMerges
{
    public const string EndOfWord = "</w>";

    private readonly Dictionary<(string, string), int> _ranks;
    private readonly ConcurrentDictionary<string, string[]> _cache = new(StringComparer.Ordinal);

    public BpeMerges(IReadOnlyList<(string First, string Second)> merges)
    {
        _ranks = new Dictionary<(string, string), int>(merges.Count);
        for (int i = 0; i < merges.Count; i++)
            _ranks.TryAdd(merges[i], i); // a repeated merge keeps its first (lowest) rank
    }

    public int Count => _ranks.Count;

    /// <summary>The BPE symbols of one pre-token already written in the byte-level alphabet.</summary>
    public string[] Encode(string preToken) => _cache.GetOrAdd(preToken, Merge);

    private string[] Merge(string token)
    {
        var word = new List<string>(token.Length);
        for (int i = 0; i < token.Length - 1; i++) word.Add(token[i].ToString());
        word.Add(token[^1] + EndOfWord);

        while (word.Count > 1)
        {
            int best = int.MaxValue;
            (string, string) bigram = default;
            for (int i = 0; i < word.Count - 1; i++)
                if (_ranks.TryGetValue((word[i], word[i + 1]), out int rank) && rank < best)
                {
                    best = rank;
                    bigram = (word[i], word[i + 1]);
                }
            if (best == int.MaxValue) break;

            var merged = new List<string>(word.Count);
            for (int i = 0; i < word.Count;)
            {
                if (i < word.Count - 1 && word[i] == bigram.Item1 && word[i + 1] == bigram.Item2)
                {
                    merged.Add(bigram.Item1 + bigram.Item2);
                    i += 2;
                }
                else
                {
                    merged.Add(word[i]);
                    i++;
                }
            }
            word = merged;
        }
        return word.ToArray();
    }
}

using Newtonsoft.Json;
using static TorchSharp.torch;

namespace DiffusionEngine.Text;

/// <summary>
/// CLIP's byte-level BPE tokenizer (transformers' CLIPTokenizer without ftfy), read from a tokenizer
/// folder's <c>vocab.json</c> and <c>merges.txt</c>. Encodes a prompt the way Stable Diffusion 1.x does:
/// <c>[start] + first (MaxLength - 2) token ids + [end]</c>, padded with the end id to <see cref="MaxLength"/>.
/// </summary>
/// <remarks>
/// The special ids come from the vocabulary, not constants, so a model shipping its own vocabulary in the
/// same format works. Thread-safe after construction.
/// </remarks>
public sealed class ClipTokenizer
{
    public const int DefaultMaxLength = 77;
    public const string VocabFileName = "vocab.json";
    public const string MergesFileName = "merges.txt";

    private readonly IReadOnlyDictionary<string, int> _vocab;
    private readonly Dictionary<int, string> _tokenById;
    private readonly BpeMerges _merges;

    /// <summary>Ids per prompt including start and end tokens (77 for SD 1.x).</summary>
    public int MaxLength { get; }
    public long StartTokenId { get; }
    public long EndTokenId { get; }
    /// <summary>The padding id: the end token (SD 1.x, SDXL's first tokenizer), or the folder's pad_token ("!", id 0, for SDXL's second).</summary>
    public long PadTokenId { get; }
    /// <summary>transformers' CLIPTokenizer uses &lt;|endoftext|&gt; as its unknown token too.</summary>
    public long UnknownTokenId => EndTokenId;
    public int VocabSize => _vocab.Count;
    public int MergeCount => _merges.Count;

    private ClipTokenizer(IReadOnlyDictionary<string, int> vocab, BpeMerges merges, int maxLength, string vocabPath, string? padToken)
    {
        if (maxLength < 2) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "must hold at least the start and end tokens");
        _vocab = vocab;
        _tokenById = new Dictionary<int, string>(vocab.Count);
        foreach (var (token, id) in vocab) _tokenById.TryAdd(id, token);
        _merges = merges;
        MaxLength = maxLength;
        StartTokenId = vocab.TryGetValue(ClipPreTokenizer.StartOfText, out int s) ? s
            : throw new InvalidDataException($"{vocabPath}: the vocabulary has no '{ClipPreTokenizer.StartOfText}' entry (the start token)");
        EndTokenId = vocab.TryGetValue(ClipPreTokenizer.EndOfText, out int e) ? e
            : throw new InvalidDataException($"{vocabPath}: the vocabulary has no '{ClipPreTokenizer.EndOfText}' entry (the end, pad and unknown token)");
        PadTokenId = padToken is null ? EndTokenId : vocab.TryGetValue(padToken, out int pad) ? pad
            : throw new InvalidDataException($"{vocabPath}: the vocabulary has no entry for the pad token '{padToken}'");
    }

    /// <summary>
    /// Reads <c>vocab.json</c> and <c>merges.txt</c> from a tokenizer folder, and its pad token from
    /// <c>tokenizer_config.json</c> (else <c>special_tokens_map.json</c>; else the end token).
    /// </summary>
    public static ClipTokenizer FromFolder(string tokenizerDir, int maxLength = DefaultMaxLength)
    {
        if (!Directory.Exists(tokenizerDir))
            throw new DirectoryNotFoundException($"{tokenizerDir}: no such tokenizer folder (expected {VocabFileName} and {MergesFileName} in it)");
        return FromFiles(Path.Combine(tokenizerDir, VocabFileName), Path.Combine(tokenizerDir, MergesFileName), maxLength, PadTokenIn(tokenizerDir));
    }

    /// <param name="padToken">The padding token's text (null: the end token, as SD 1.x).</param>
    public static ClipTokenizer FromFiles(string vocabPath, string mergesPath, int maxLength = DefaultMaxLength, string? padToken = null) =>
        new(ReadVocab(vocabPath), new BpeMerges(ReadMerges(mergesPath)), maxLength, vocabPath, padToken);

    /// <summary>The pad_token of a tokenizer folder's config files (a string, or an object with "content"), or null.</summary>
    internal static string? PadTokenIn(string tokenizerDir)
    {
        foreach (var name in new[] { "tokenizer_config.json", "special_tokens_map.json" })
        {
            var path = Path.Combine(tokenizerDir, name);
            if (!File.Exists(path)) continue;
            Newtonsoft.Json.Linq.JToken? pad;
            try { pad = Newtonsoft.Json.Linq.JObject.Parse(File.ReadAllText(path))["pad_token"]; }
            catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
            switch (pad)
            {
                case { Type: Newtonsoft.Json.Linq.JTokenType.String }: return (string)pad!;
                case Newtonsoft.Json.Linq.JObject o when o["content"] is { Type: Newtonsoft.Json.Linq.JTokenType.String } c: return (string)c!;
                case null or { Type: Newtonsoft.Json.Linq.JTokenType.Null }: continue;
                default: throw new InvalidDataException($"{path}: field 'pad_token' must be a string or an object with 'content'");
            }
        }
        return null;
    }

    /// <summary><see cref="MaxLength"/> ids: start, the prompt's first MaxLength-2 ids, end, then <see cref="PadTokenId"/> padding.</summary>
    public long[] Encode(string text)
    {
        var ids = new long[MaxLength];
        Array.Fill(ids, PadTokenId);
        ids[0] = StartTokenId;
        int n = 1;
        foreach (var symbol in EnumerateSymbols(text))
        {
            if (n == MaxLength - 1) break; // truncation: the end token always fits
            ids[n++] = IdOf(symbol);
        }
        ids[n] = EndTokenId;
        return ids;
    }

    /// <summary>The text's token ids alone: no start or end token, no padding, no truncation.</summary>
    public long[] Ids(string text) => EnumerateSymbols(text).Select(IdOf).ToArray();

    /// <summary>int64 [prompts.Count, MaxLength], one <see cref="Encode"/> row per prompt.</summary>
    public Tensor EncodeBatch(IReadOnlyList<string> prompts)
    {
        var flat = new long[prompts.Count * MaxLength];
        for (int i = 0; i < prompts.Count; i++) Encode(prompts[i]).CopyTo(flat, i * MaxLength);
        return tensor(flat, [prompts.Count, MaxLength], ScalarType.Int64);
    }

    /// <summary>The BPE symbols of the whole text (no start/end tokens, no truncation), for inspection.</summary>
    public IReadOnlyList<string> Tokens(string text) => EnumerateSymbols(text).ToList();

    /// <summary>
    /// Text back from ids, for inspection: special and unknown ids are skipped, each word end becomes a
    /// space. Gives the cleaned, lower-cased pre-tokens separated by spaces.
    /// </summary>
    public string Decode(IEnumerable<long> ids)
    {
        var text = new System.Text.StringBuilder();
        foreach (var id in ids)
        {
            if (id == StartTokenId || id == EndTokenId || id < int.MinValue || id > int.MaxValue) continue;
            if (_tokenById.TryGetValue((int)id, out var token)) text.Append(token);
        }
        var bytes = new List<byte>(text.Length);
        var words = new System.Text.StringBuilder();
        void FlushBytes()
        {
            words.Append(System.Text.Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
        var joined = text.ToString().Replace(BpeMerges.EndOfWord, " ", StringComparison.Ordinal);
        foreach (char c in joined)
        {
            if (c == ' ') { FlushBytes(); words.Append(' '); }
            else if (ByteLevelAlphabet.TryDecode(c, out byte b)) bytes.Add(b);
        }
        FlushBytes();
        return words.ToString().Trim();
    }

    private IEnumerable<string> EnumerateSymbols(string text)
    {
        foreach (var preToken in ClipPreTokenizer.Split(ClipTextCleaner.Clean(text)))
        {
            // Special tokens inside the prompt stay whole (transformers seeds its BPE cache with them).
            if (preToken.Equals(ClipPreTokenizer.StartOfText, StringComparison.OrdinalIgnoreCase)
                || preToken.Equals(ClipPreTokenizer.EndOfText, StringComparison.OrdinalIgnoreCase))
            {
                yield return preToken.ToLowerInvariant();
                continue;
            }
            foreach (var symbol in _merges.Encode(ByteLevelAlphabet.EncodeUtf8(preToken)))
                yield return symbol;
        }
    }

    // A symbol the vocabulary lacks (possible only with a vocabulary that misses byte-level entries, e.g. a
    // small model's own) becomes the unknown token, as in transformers, so any text still tokenizes.
    private long IdOf(string symbol) => _vocab.TryGetValue(symbol, out int id) ? id : UnknownTokenId;

    private static Dictionary<string, int> ReadVocab(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (the CLIP vocabulary, a JSON object of token -> id)", path);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            using var reader = new JsonTextReader(File.OpenText(path));
            if (!reader.Read() || reader.TokenType != JsonToken.StartObject)
                throw new InvalidDataException($"{path}: expected a JSON object of token -> id");
            while (reader.Read() && reader.TokenType == JsonToken.PropertyName)
            {
                string token = (string)reader.Value!;
                if (!reader.Read() || reader.TokenType != JsonToken.Integer)
                    throw new InvalidDataException($"{path}: the id of token '{token}' is not an integer (line {reader.LineNumber})");
                long id = (long)reader.Value!;
                if (id < 0 || id > int.MaxValue)
                    throw new InvalidDataException($"{path}: the id of token '{token}' is out of range ({id})");
                vocab[token] = (int)id;
            }
            if (reader.TokenType != JsonToken.EndObject)
                throw new InvalidDataException($"{path}: expected a JSON object of token -> id (unexpected {reader.TokenType} at line {reader.LineNumber})");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        if (vocab.Count == 0) throw new InvalidDataException($"{path}: the vocabulary is empty");
        return vocab;
    }

    private static List<(string, string)> ReadMerges(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (the BPE merges, one 'first second' pair a line)", path);
        var merges = new List<(string, string)>();
        int lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new InvalidDataException($"{path}: line {lineNumber} should hold two symbols separated by a space, found '{Truncate(line)}'");
            merges.Add((parts[0], parts[1]));
        }
        return merges;
    }

    private static string Truncate(string s) => s.Length <= 60 ? s : s[..60] + "…";
}

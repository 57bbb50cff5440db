namespace DiffusionEngine.Text;

/// <summary>
/// GPT-2/CLIP's reversible map from the 256 byte values to 256 printable characters, so that BPE works on
/// strings without whitespace or control characters: printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ')
/// map to themselves, every other byte b to U+0100 + (its rank among the unprintable bytes).
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = Build();
    private static readonly Dictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    public static char Encode(byte b) => ByteToChar[b];

    public static bool TryDecode(char c, out byte b) => CharToByte.TryGetValue(c, out b);

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, each written as its alphabet character.</summary>
    public static string EncodeUtf8(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    private static char[] Build()
    {
        var map = new char[256];
        var printable = new bool[256];
        for (int b = '!'; b <= '~'; b++) printable[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) printable[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) printable[b] = true;
        int next = 0;
        for (int b = 0; b < 256; b++)
            map[b] = printable[b] ? (char)b : (char)(256 + next++);
        return map;
    }
}

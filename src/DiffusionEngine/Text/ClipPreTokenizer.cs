using System.Globalization;
using System.Text;

namespace DiffusionEngine.Text;

/// <summary>
/// Splits cleaned text into pre-tokens exactly as CLIP's pattern
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// (case-insensitive) does under Python's findall: at each position the first alternative that matches wins,
/// and positions where none matches (whitespace) are skipped.
/// </summary>
/// <remarks>
/// Written as a scanner over code points rather than a .NET Regex because .NET classifies UTF-16 code units:
/// a letter or digit outside the BMP would fall into the punctuation alternative there, unlike in Python.
/// </remarks>
public static class ClipPreTokenizer
{
    public const string StartOfText = "<|startoftext|>";
    public const string EndOfText = "<|endoftext|>";
    private static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    public static List<string> Split(string text)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            int end = MatchAt(text, i);
            if (end > i)
            {
                tokens.Add(text[i..end]);
                i = end;
            }
            else
            {
                i += Rune.GetRuneAt(text, i).Utf16SequenceLength;
            }
        }
        return tokens;
    }

    /// <summary>End of the match starting at <paramref name="i"/>, or <paramref name="i"/> if none matches.</summary>
    private static int MatchAt(string text, int i)
    {
        if (StartsWith(text, i, StartOfText)) return i + StartOfText.Length;
        if (StartsWith(text, i, EndOfText)) return i + EndOfText.Length;
        foreach (var c in Contractions)
            if (StartsWith(text, i, c)) return i + c.Length;

        var first = Rune.GetRuneAt(text, i);
        if (IsLetter(first)) return RunEnd(text, i, IsLetter);
        if (IsNumber(first)) return i + first.Utf16SequenceLength;
        if (IsOther(first)) return RunEnd(text, i, IsOther);
        return i;
    }

    private static int RunEnd(string text, int i, Func<Rune, bool> belongs)
    {
        while (i < text.Length)
        {
            var r = Rune.GetRuneAt(text, i);
            if (!belongs(r)) break;
            i += r.Utf16SequenceLength;
        }
        return i;
    }

    private static bool StartsWith(string text, int i, string literal) =>
        i + literal.Length <= text.Length
        && string.Compare(text, i, literal, 0, literal.Length, StringComparison.OrdinalIgnoreCase) == 0;

    private static bool IsLetter(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter
        or UnicodeCategory.OtherLetter;

    private static bool IsNumber(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.DecimalDigitNumber
        or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    private static bool IsOther(Rune r) => !Rune.IsWhiteSpace(r) && !IsLetter(r) && !IsNumber(r);
}

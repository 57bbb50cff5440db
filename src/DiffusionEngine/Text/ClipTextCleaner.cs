using System.Globalization;
using System.Text;

namespace DiffusionEngine.Text;

/// <summary>
/// The text clean-up transformers' CLIPTokenizer applies when ftfy is absent (its BasicTokenizer with
/// strip_accents=False and no punctuation splitting): drop NUL, U+FFFD and control/format characters, turn
/// every whitespace into a space, put spaces around CJK ideographs, NFC-normalise, collapse whitespace and
/// lower-case. Without ftfy there is no mojibake repair, as in transformers.
/// </summary>
/// <remarks>
/// Known differences from Python on rare input: under InvariantGlobalization (the studio's setting) .NET's
/// NFC normalisation leaves text unchanged and lower-casing uses simple case mapping (Python maps 'İ' to
/// "i̇" and a word-final 'Σ' to 'ς'). Prompts in precomposed text and plain Latin/Greek/Cyrillic letters
/// tokenize identically.
/// </remarks>
public static class ClipTextCleaner
{
    public static string Clean(string text)
    {
        var spaced = new StringBuilder(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) spaced.Append(' ');
            else if (IsCjkIdeograph(cp)) spaced.Append(' ').Append(rune.ToString()).Append(' ');
            else spaced.Append(rune.ToString());
        }
        string normalized = Normalize(spaced.ToString());

        var result = new StringBuilder(normalized.Length);
        foreach (var word in SplitOnWhitespace(normalized))
        {
            if (result.Length > 0) result.Append(' ');
            result.Append(word.ToLowerInvariant());
        }
        return result.ToString();
    }

    // EnumerateRunes turned lone surrogates into U+FFFD, dropped above, so the text is well-formed UTF-16.
    private static string Normalize(string text) => text.Normalize(NormalizationForm.FormC);

    private static IEnumerable<string> SplitOnWhitespace(string text)
    {
        int start = -1;
        for (int i = 0; i < text.Length; i++)
        {
            bool space = char.IsWhiteSpace(text[i]);
            if (space && start >= 0) { yield return text[start..i]; start = -1; }
            else if (!space && start < 0) start = i;
        }
        if (start >= 0) yield return text[start..];
    }

    // BasicTokenizer: tab/newline/CR count as whitespace, every other "C*" category is removed.
    private static bool IsControl(Rune r)
    {
        if (r.Value is '\t' or '\n' or '\r') return false;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned;
    }

    private static bool IsWhitespace(Rune r) =>
        r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    private static bool IsCjkIdeograph(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}

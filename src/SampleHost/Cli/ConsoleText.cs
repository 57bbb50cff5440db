using System.Globalization;
using System.Text;

namespace SampleHost.Cli;

/// <summary>
/// Text from files (project names, concepts, manifests) as the terminal should show it: control characters written
/// as escapes (<c>\e</c>, <c>\u0007</c>), so an ANSI sequence in a project file cannot recolour, move or clear the
/// terminal. Line breaks and tabs in messages are kept.
/// </summary>
public static class ConsoleText
{
    public static string Escape(string? text, bool keepLineBreaks = false)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            bool control = char.IsControl(c) && !(keepLineBreaks && c is '\n' or '\r' or '\t')
                           || c is '\u2028' or '\u2029' or '\u202E' or '\u202D' or '\u2066' or '\u2067' or '\u2068' or '\u2069';
            if (!control)
            {
                sb?.Append(c);
                continue;
            }
            sb ??= new StringBuilder(text, 0, i, text.Length + 16);
            sb.Append(c switch
            {
                '\u001B' => "\\e",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
            });
        }
        return sb?.ToString() ?? text;
    }
}

using System.Globalization;
using Host.Abstractions;

namespace SampleHost.Commands;

/// <summary>
/// Turns command-line text into the typed value of a <see cref="ParameterKind"/> and checks it:
/// Text/Choice/Path → string, Integer → long, Number → double, Flag → bool, TextList → IReadOnlyList&lt;string&gt;.
/// </summary>
public static class ParameterValues
{
    private static readonly string[] TrueWords = ["true", "yes", "on", "1"];
    private static readonly string[] FalseWords = ["false", "no", "off", "0"];

    public static string Describe(ParameterKind kind) => kind switch
    {
        ParameterKind.Integer => "whole number",
        ParameterKind.Number => "number",
        ParameterKind.Flag => "true or false",
        ParameterKind.TextList => "comma-separated list",
        ParameterKind.Choice => "choice",
        ParameterKind.Path => "path",
        _ => "text",
    };

    /// <summary>Parses <paramref name="text"/> given for <paramref name="p"/>; throws <see cref="CommandArgumentException"/>.</summary>
    public static object Parse(CommandParameter p, string text)
    {
        var name = $"--{p.Name}";
        switch (p.Kind)
        {
            case ParameterKind.Integer:
                return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l
                    : throw new CommandArgumentException($"{name} expects a whole number, got '{text}'");
            case ParameterKind.Number:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d
                    : throw new CommandArgumentException($"{name} expects a number, got '{text}'");
            case ParameterKind.Flag:
                var word = text.Trim().ToLowerInvariant();
                if (TrueWords.Contains(word)) return true;
                if (FalseWords.Contains(word)) return false;
                throw new CommandArgumentException($"{name} expects true or false, got '{text}'");
            case ParameterKind.TextList:
                return text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            case ParameterKind.Choice:
                return p.Choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase))
                    ?? throw new CommandArgumentException($"{name} must be one of {string.Join(", ", p.Choices)}; got '{text}'");
            case ParameterKind.Path:
                if (text.Length == 0) throw new CommandArgumentException($"{name} expects a path, got nothing");
                try { return Path.GetFullPath(text); }
                catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
                {
                    throw new CommandArgumentException($"{name} expects a path, got '{text}': {e.Message}");
                }
            default:
                return text;
        }
    }

    /// <summary>A value (a default) as the kind's own type, widening int/float; null when it does not fit.</summary>
    public static object? Normalize(CommandParameter p, object value) => p.Kind switch
    {
        ParameterKind.Integer => value switch
        {
            long or int or short or byte or sbyte or ushort or uint => Convert.ToInt64(value, CultureInfo.InvariantCulture),
            _ => null,
        },
        ParameterKind.Number => value switch
        {
            double or float or decimal or long or int or short or byte => Convert.ToDouble(value, CultureInfo.InvariantCulture),
            _ => null,
        },
        ParameterKind.Flag => value as bool?,
        ParameterKind.TextList => value switch
        {
            string s => s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            IEnumerable<string> list => list.ToArray(),
            _ => null,
        },
        _ => value as string,
    };

    /// <summary>Bounds and choices; null when the value is acceptable, else what is wrong.</summary>
    public static string? CheckBounds(CommandParameter p, object value)
    {
        var name = $"--{p.Name}";
        if (value is long or double)
        {
            var x = Convert.ToDouble(value, CultureInfo.InvariantCulture);
            if (x < p.Minimum) return $"{name} must be at least {Format(p.Minimum)}, got {Format(value)}";
            if (x > p.Maximum) return $"{name} must be at most {Format(p.Maximum)}, got {Format(value)}";
        }
        if (p.Kind == ParameterKind.Choice && value is string s && !p.Choices.Contains(s))
            return $"{name} must be one of {string.Join(", ", p.Choices)}; got '{s}'";
        return null;
    }

    public static string Format(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        IEnumerable<string> list when value is not string => string.Join(",", list),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ShapesWorld;

/// <summary>One evaluation prompt and the attribute values its images are expected to show.</summary>
public sealed record EvalPrompt(string Prompt, IReadOnlyDictionary<string, string> Expect);

/// <summary>A malformed prompts file: names the file, the line and what is wrong.</summary>
public sealed class PromptFileException(string message) : Exception(message);

/// <summary>
/// Reads a prompts file: JSON Lines, each <c>{"prompt": "...", "expect": {"shape": "...", "color": "...",
/// "style": "..."}}</c>; every expect key is optional, values must be words of the world's inventory.
/// Blank lines are skipped.
/// </summary>
public static class PromptFile
{
    private static readonly Dictionary<string, IReadOnlyList<string>> Attributes = new()
    {
        ["shape"] = WorldInventory.Shapes,
        ["color"] = WorldInventory.Colors,
        ["style"] = WorldInventory.Styles,
        ["background"] = WorldInventory.Backgrounds,
    };

    public static IReadOnlyList<EvalPrompt> Read(string path)
    {
        if (!File.Exists(path)) throw new PromptFileException($"{path}: no such prompts file");
        var result = new List<EvalPrompt>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            result.Add(Parse(line, $"{path}:{lineNumber}"));
        }
        if (result.Count == 0) throw new PromptFileException($"{path}: no prompts");
        return result;
    }

    public static EvalPrompt Parse(string line, string where)
    {
        JObject o;
        try { o = JObject.Parse(line); }
        catch (JsonReaderException ex) { throw new PromptFileException($"{where}: not a JSON object ({ex.Message})"); }
        if (o["prompt"] is not JValue { Type: JTokenType.String } p)
            throw new PromptFileException($"{where}: \"prompt\" must be a string");
        var expect = new Dictionary<string, string>();
        if (o["expect"] is { } e)
        {
            if (e is not JObject eo) throw new PromptFileException($"{where}: \"expect\" must be an object");
            foreach (var (key, value) in eo)
            {
                if (!Attributes.TryGetValue(key, out var allowed))
                    throw new PromptFileException($"{where}: unknown attribute \"{key}\" in \"expect\" (expected {string.Join(", ", Attributes.Keys)})");
                if (value is not JValue { Type: JTokenType.String } v || !allowed.Contains((string)v!))
                    throw new PromptFileException($"{where}: \"expect.{key}\" must be one of {string.Join(", ", allowed)}");
                expect[key] = (string)v!;
            }
        }
        foreach (var key in o.Properties().Select(x => x.Name).Where(k => k is not "prompt" and not "expect"))
            throw new PromptFileException($"{where}: unknown field \"{key}\" (expected \"prompt\" and \"expect\")");
        return new EvalPrompt((string)p!, expect);
    }
}

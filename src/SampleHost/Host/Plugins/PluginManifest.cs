using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace SampleHost.Plugins;

/// <summary>
/// A plugin folder's <c>manifest.json</c>:
/// <code>
/// { "id": "esd", "name": "…", "version": "0.1.0", "description": "…",
///   "entryAssembly": "EsdPlugin.dll", "entryType": "EsdPlugin.EsdPluginEntry",   // entryType optional
///   "hostApi": "&gt;=1.0 &lt;2.0", "commands": ["esd.about"], "enabled": true }      // enabled optional
/// </code>
/// Every command id must start with the plugin id and a dot. Unknown fields are ignored.
/// </summary>
public sealed partial class PluginManifest
{
    public const string FileName = "manifest.json";

    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Version { get; init; }
    public string Description { get; init; } = "";
    public required string EntryAssembly { get; init; }
    public string? EntryType { get; init; }
    public required HostApiRange HostApi { get; init; }
    public required IReadOnlyList<string> Commands { get; init; }
    public bool Enabled { get; init; } = true;

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^\d+\.\d+(\.\d+)?(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex VersionPattern();

    /// <summary>Reads and validates a manifest; throws <see cref="PluginManifestException"/> naming the file and field.</summary>
    public static PluginManifest Load(string path)
    {
        string json;
        try { json = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PluginManifestException($"{path}: cannot be read: {e.Message}");
        }
        return Parse(json, path);
    }

    public static PluginManifest Parse(string json, string path)
    {
        JObject root;
        try
        {
            var token = JToken.Parse(json, new JsonLoadSettings { DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error });
            root = token as JObject ?? throw new PluginManifestException($"{path}: expected a JSON object, found {token.Type}");
        }
        catch (JsonReaderException e)
        {
            throw new PluginManifestException($"{path}: not valid JSON: {e.Message}");
        }

        PluginManifestException Bad(string field, string problem) => new($"{path}: field '{field}' {problem}");

        string RequiredText(string field)
        {
            var token = root[field];
            if (token is null || token.Type == JTokenType.Null) throw Bad(field, "is missing");
            if (token.Type != JTokenType.String) throw Bad(field, $"must be a string, found {token.Type}");
            var value = token.Value<string>()!.Trim();
            return value.Length > 0 ? value : throw Bad(field, "is empty");
        }

        string? OptionalText(string field)
        {
            var token = root[field];
            if (token is null || token.Type == JTokenType.Null) return null;
            if (token.Type != JTokenType.String) throw Bad(field, $"must be a string, found {token.Type}");
            return token.Value<string>()!.Trim() is { Length: > 0 } s ? s : null;
        }

        var id = RequiredText("id");
        if (!IdPattern().IsMatch(id)) throw Bad("id", $"'{id}' must be lowercase letters, digits, '-' and '_'");
        var name = RequiredText("name");
        var version = RequiredText("version");
        if (!VersionPattern().IsMatch(version)) throw Bad("version", $"'{version}' is not a version like 1.2.3");

        var entryAssembly = RequiredText("entryAssembly");
        if (!entryAssembly.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || entryAssembly.IndexOfAny(['/', '\\']) >= 0 || entryAssembly is "." or "..")
            throw Bad("entryAssembly", $"'{entryAssembly}' must be the file name of a .dll in the plugin's folder");

        var hostApiText = RequiredText("hostApi");
        if (!HostApiRange.TryParse(hostApiText, out var hostApi))
            throw Bad("hostApi", $"'{hostApiText}' is not a version range; expected comparisons such as '>=1.0 <2.0'");

        var commandsToken = root["commands"];
        if (commandsToken is null || commandsToken.Type == JTokenType.Null) throw Bad("commands", "is missing (use [] for none)");
        if (commandsToken is not JArray array) throw Bad("commands", $"must be an array of command ids, found {commandsToken.Type}");
        var commands = new List<string>();
        foreach (var item in array)
        {
            if (item.Type != JTokenType.String) throw Bad("commands", $"must hold strings, found {item.Type}");
            var command = item.Value<string>()!;
            if (!command.StartsWith(id + ".", StringComparison.Ordinal) || !SampleHost.Commands.CommandValidation.IdPattern().IsMatch(command))
                throw Bad("commands", $"'{command}' must be '{id}.' followed by lowercase letters, digits, '.', '-' or '_'");
            if (commands.Contains(command)) throw Bad("commands", $"lists '{command}' twice");
            commands.Add(command);
        }

        var enabledToken = root["enabled"];
        bool enabled = true;
        if (enabledToken is not null && enabledToken.Type != JTokenType.Null)
            enabled = enabledToken.Type == JTokenType.Boolean ? enabledToken.Value<bool>() : throw Bad("enabled", $"must be true or false, found {enabledToken.Type}");

        return new PluginManifest
        {
            Id = id,
            Name = name,
            Version = version,
            Description = OptionalText("description") ?? "",
            EntryAssembly = entryAssembly,
            EntryType = OptionalText("entryType"),
            HostApi = hostApi,
            Commands = commands,
            Enabled = enabled,
        };
    }
}

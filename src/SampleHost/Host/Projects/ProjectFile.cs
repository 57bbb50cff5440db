using System.Text;
using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using DiffusionEngine.IO;

namespace SampleHost.Projects;

/// <summary>
/// Reads and writes a project folder's <c>project.json</c>:
/// <c>{ "name": "...", "baseModel": "...", "blocklist": ["..."], "outputFolder": "..." }</c>.
/// Reading checks every field and refuses with the file, line, position and field named; writing goes to
/// a temporary file renamed over the old one, so the file is always either the old or the new version.
/// </summary>
public static partial class ProjectFile
{
    public const string FileName = "project.json";

    private const string NameField = "name";
    private const string BaseModelField = "baseModel";
    private const string BlocklistField = "blocklist";
    private const string OutputFolderField = "outputFolder";
    private static readonly HashSet<string> KnownFields = [NameField, BaseModelField, BlocklistField, OutputFolderField];

    public static string PathIn(string folder) => Path.Combine(Path.GetFullPath(folder), FileName);

    public static bool ExistsIn(string folder) => File.Exists(PathIn(folder));

    public static ProjectSettings Read(string folder)
    {
        var path = PathIn(folder);
        string text;
        try
        {
            text = File.ReadAllText(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ProjectFileException(path, "there is no project file (create one with 'studio project new')", inner: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            throw new ProjectFileException(path, $"cannot be read: {e.Message}", inner: e);
        }
        return Parse(path, text);
    }

    /// <summary>Parses the text of a project file; <paramref name="path"/> is only used in messages.</summary>
    public static ProjectSettings Parse(string path, string text)
    {
        JToken root;
        try
        {
            using var reader = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None };
            root = JToken.ReadFrom(reader, new JsonLoadSettings
            {
                LineInfoHandling = LineInfoHandling.Load,
                DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error,
                CommentHandling = CommentHandling.Ignore,
            });
            while (reader.Read())
                if (reader.TokenType != JsonToken.Comment)
                    throw new ProjectFileException(path, "unexpected content after the project object", reader.LineNumber, Math.Max(1, reader.LinePosition));
        }
        catch (JsonReaderException e)
        {
            var field = e.Path is { Length: > 0 } p ? p : null;
            // Newtonsoft counts characters consumed on the line: 0 when the fault is the line's first character.
            throw new ProjectFileException(path, $"not valid JSON: {WithoutLocation(e.Message)}",
                e.LineNumber > 0 ? e.LineNumber : null, e.LineNumber > 0 ? Math.Max(1, e.LinePosition) : null, field, e);
        }

        if (root is not JObject obj)
            throw Wrong(path, root, null, $"the file must hold a JSON object {{ \"name\": ... }}, found {Kind(root)}");

        var name = obj.Property(NameField, StringComparison.Ordinal) is { } nameProperty
            ? RequireString(path, nameProperty.Value, NameField)
            : throw Wrong(path, obj, NameField, "is required (the project's display name)");
        if (string.IsNullOrWhiteSpace(name)) throw Wrong(path, obj[NameField]!, NameField, "must not be empty");

        return new ProjectSettings(
            name.Trim(),
            OptionalString(path, obj, BaseModelField),
            ReadBlocklist(path, obj),
            OptionalString(path, obj, OutputFolderField))
        {
            Extra = obj.Properties().Where(p => !KnownFields.Contains(p.Name)).ToDictionary(p => p.Name, p => p.Value.DeepClone()),
        };
    }

    public static void Write(string folder, ProjectSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var obj = new JObject
        {
            [NameField] = settings.Name,
            [BaseModelField] = settings.BaseModel,
            [BlocklistField] = new JArray(settings.Blocklist.ToArray<object>()),
            [OutputFolderField] = settings.OutputFolder,
        };
        foreach (var (key, value) in settings.Extra) obj[key] = value.DeepClone();

        AtomicFile.WriteAllText(PathIn(folder), obj.ToString(Formatting.Indented) + "\n");
    }

    private static List<string> ReadBlocklist(string path, JObject obj)
    {
        var list = new List<string>();
        if (obj.Property(BlocklistField, StringComparison.Ordinal) is not { } property) return list;
        if (property.Value is not JArray array)
            throw Wrong(path, property.Value, BlocklistField, $"must be an array of strings, found {Kind(property.Value)}");
        for (int i = 0; i < array.Count; i++)
        {
            var field = $"{BlocklistField}[{i}]";
            if (array[i].Type != JTokenType.String)
                throw Wrong(path, array[i], field, $"must be an array of strings, found {Kind(array[i])} at index {i}");
            var concept = BlocklistConcepts.Normalize((string)array[i]!);
            if (concept.Length == 0) throw Wrong(path, array[i], field, "must not be empty");
            // A concept written twice in different spellings is one concept: keep the first spelling.
            if (BlocklistConcepts.IndexOf(list, concept) < 0) list.Add(concept);
        }
        return list;
    }

    private static string? OptionalString(string path, JObject obj, string field)
    {
        if (obj.Property(field, StringComparison.Ordinal) is not { } property || property.Value.Type == JTokenType.Null) return null;
        var value = RequireString(path, property.Value, field);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    private static string RequireString(string path, JToken token, string field) =>
        token.Type == JTokenType.String ? (string)token! : throw Wrong(path, token, field, $"must be a string, found {Kind(token)}");

    private static ProjectFileException Wrong(string path, JToken token, string? field, string problem)
    {
        var info = (IJsonLineInfo)token;
        return info.HasLineInfo()
            ? new ProjectFileException(path, problem, info.LineNumber, info.LinePosition, field)
            : new ProjectFileException(path, problem, field: field);
    }

    private static string Kind(JToken token) => token.Type switch
    {
        JTokenType.Object => "an object",
        JTokenType.Array => "an array",
        JTokenType.Integer => "a whole number",
        JTokenType.Float => "a number",
        JTokenType.String => "a string",
        JTokenType.Boolean => "true/false",
        JTokenType.Null => "null",
        _ => token.Type.ToString().ToLowerInvariant(),
    };

    // Newtonsoft appends "Path 'x', line 1, position 2." which the exception's own fields already say.
    private static string WithoutLocation(string message) => LocationSuffix().Replace(message, "").Trim();

    [GeneratedRegex(@"\s*Path '[^']*', line \d+, position \d+\.\s*$")]
    private static partial Regex LocationSuffix();
}

using System.Text;
using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using DiffusionEngine.IO;

namespace SampleHost.Projects;

/// <summary>
/// Reads and writes a project folder's <c>project.json</c>:
/// <c>{ "name": "...", "baseModel": "...", "blocklist": ["..."], "outputFolder": "..." }</c>.
/// Reading checks every field and refuses with the file, line, position and field named: a field it does not know
/// (a misspelt "Blocklist" would otherwise mean "no blocklist") and comments (a rewrite would drop them) are refused
/// too, so nothing in the file is silently ignored or lost. Writing goes to a temporary file renamed over the old one,
/// so the file is always either the old or the new version.
/// </summary>
public static partial class ProjectFile
{
    public const string FileName = "project.json";

    private const string NameField = "name";
    private const string BaseModelField = "baseModel";
    private const string BlocklistField = "blocklist";
    private const string OutputFolderField = "outputFolder";
    private static readonly string[] KnownFields = [NameField, BaseModelField, BlocklistField, OutputFolderField];

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
            // Comments first: inside an object the parser would drop them, and a rewrite would lose them.
            using (var scan = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None })
                while (scan.Read())
                    if (scan.TokenType == JsonToken.Comment)
                        throw new ProjectFileException(path, "comments are not allowed in a project file (a rewrite would lose them)",
                            scan.LineNumber, Math.Max(1, scan.LinePosition));
            using var reader = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None };
            root = JToken.ReadFrom(reader, new JsonLoadSettings
            {
                LineInfoHandling = LineInfoHandling.Load,
                DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error,
                CommentHandling = CommentHandling.Load,
            });
            while (reader.Read())
                throw new ProjectFileException(path, reader.TokenType == JsonToken.Comment
                    ? "comments are not allowed in a project file (a rewrite would lose them)"
                    : "unexpected content after the project object", reader.LineNumber, Math.Max(1, reader.LinePosition));
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
        foreach (var property in obj.Properties())
            if (!KnownFields.Contains(property.Name))
            {
                var near = KnownFields.FirstOrDefault(k => string.Equals(k, property.Name, StringComparison.OrdinalIgnoreCase));
                throw Wrong(path, property, property.Name, $"is not a project field{(near is null ? "" : $" (did you mean '{near}'?)")}; " +
                    $"the fields are {string.Join(", ", KnownFields.Select(k => $"'{k}'"))}");
            }

        var name = obj.Property(NameField, StringComparison.Ordinal) is { } nameProperty
            ? RequireString(path, nameProperty.Value, NameField)
            : throw Wrong(path, obj, NameField, "is required (the project's display name)");
        if (string.IsNullOrWhiteSpace(name)) throw Wrong(path, obj[NameField]!, NameField, "must not be empty");

        return new ProjectSettings(
            name.Trim(),
            OptionalString(path, obj, BaseModelField),
            ReadBlocklist(path, obj),
            OptionalString(path, obj, OutputFolderField));
    }

    /// <summary>
    /// Reads, changes and writes the project file while holding its lock (<c>.project.json.lock</c>, an exclusive
    /// file lock across processes), so that concurrent editors never lose each other's changes. <paramref name="change"/>
    /// returns null to leave the file as it is. Returns what the file holds afterwards.
    /// </summary>
    public static ProjectSettings Update(string folder, Func<ProjectSettings, ProjectSettings?> change, TimeSpan? timeout = null)
    {
        using var _ = Lock(folder, timeout ?? TimeSpan.FromSeconds(30));
        var current = Read(folder);
        if (change(current) is not { } next) return current;
        Write(folder, next);
        return next;
    }

    /// <summary>Holds the project's lock file open exclusively (advisory across processes) until disposed.</summary>
    private static FileStream Lock(string folder, TimeSpan timeout)
    {
        var path = Path.Combine(Path.GetFullPath(folder), "." + FileName + ".lock");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int attempt = 0; ; attempt++)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (clock.Elapsed < timeout && File.Exists(path))
            {
                Thread.Sleep(Math.Min(50, 1 + attempt * 5)); // another editor holds it
            }
            catch (IOException e)
            {
                throw new ProjectFileException(PathIn(folder), $"is being changed by another process (its lock {path} stayed taken for {timeout.TotalSeconds:F0} s)", inner: e);
            }
        }
    }

    /// <param name="overwrite">false: refuse (IOException) when the folder already has a project file.</param>
    public static void Write(string folder, ProjectSettings settings, bool overwrite = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var obj = new JObject
        {
            [NameField] = settings.Name,
            [BaseModelField] = settings.BaseModel,
            [BlocklistField] = new JArray(settings.Blocklist.ToArray<object>()),
            [OutputFolderField] = settings.OutputFolder,
        };

        AtomicFile.WriteAllText(PathIn(folder), obj.ToString(Formatting.Indented) + "\n", overwrite);
    }

    private static List<string> ReadBlocklist(string path, JObject obj)
    {
        var list = new List<string>();
        var seen = new HashSet<string>(BlocklistConcepts.Comparer);
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
            if (seen.Add(concept)) list.Add(concept);
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

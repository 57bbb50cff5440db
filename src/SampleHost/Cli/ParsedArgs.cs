using System.Globalization;

namespace SampleHost.Cli;

/// <summary>The parsed arguments of one verb invocation, with typed accessors that name the option on error.</summary>
internal sealed class ParsedArgs(Verb verb, IReadOnlyDictionary<string, string> positional, IReadOnlyDictionary<string, List<string>> options)
{
    public Verb Verb { get; } = verb;

    public string Arg(string name) => positional.TryGetValue(name, out var v) ? v
        : throw new UsageException($"missing argument <{name}>");

    public string? ArgOrNull(string name) => positional.GetValueOrDefault(name);

    public bool Has(string name) => options.ContainsKey(name);

    public bool Flag(string name) => options.ContainsKey(name);

    public string? Get(string name) =>
        options.TryGetValue(name, out var v) ? v[^1] : Verb.Options.FirstOrDefault(o => o.Name == name)?.Default;

    public IReadOnlyList<string> GetAll(string name) => options.TryGetValue(name, out var v) ? v : [];

    /// <summary>Options given on the command line that the verb does not declare (plugin parameters).</summary>
    public IReadOnlyDictionary<string, string> Extra =>
        options.Where(kv => Verb.Options.All(o => o.Name != kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value[^1]);

    public string Require(string name) => Get(name) ?? throw new UsageException($"--{name} is required");

    public int Int(string name, int? min = null, int? max = null)
    {
        var text = Require(name);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new UsageException($"--{name} expects a whole number, got '{text}'");
        if (v < min || v > max) throw new UsageException($"--{name} must be between {min} and {max}, got {v}");
        return v;
    }

    public long Long(string name)
    {
        var text = Require(name);
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw new UsageException($"--{name} expects a whole number, got '{text}'");
    }

    public double Double(string name, double? min = null, double? max = null)
    {
        var text = Require(name);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            throw new UsageException($"--{name} expects a number, got '{text}'");
        if (v < min || v > max || (double.IsNaN(v) && (min is not null || max is not null)))
            throw new UsageException($"--{name} must be {(max is null ? $"at least {min}" : min is null ? $"at most {max}" : $"between {min} and {max}")}, got {text}");
        return v;
    }
}

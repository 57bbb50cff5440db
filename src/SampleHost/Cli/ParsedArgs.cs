using System.Globalization;
using SampleHost.Hosting;
using static TorchSharp.torch;

namespace SampleHost.Cli;

/// <summary>The parsed arguments of one verb invocation, with typed accessors that name the option on error.</summary>
internal sealed class ParsedArgs(Verb verb, IReadOnlyDictionary<string, string> positional, IReadOnlyDictionary<string, List<string>> options)
{
    public Verb Verb { get; } = verb;

    public string Arg(string name) => positional.TryGetValue(name, out var v) ? v
        : throw new UsageException($"missing argument <{name}>");

    public string? ArgOrNull(string name) => positional.GetValueOrDefault(name);

    public bool Has(string name) => options.ContainsKey(name);

    /// <summary>A flag: absent is false, <c>--name</c> true, <c>--name=false</c> (or no/off/0) false.</summary>
    public bool Flag(string name)
    {
        if (!options.TryGetValue(name, out var values)) return false;
        var text = values[^1].Trim().ToLowerInvariant();
        return text switch
        {
            "true" or "yes" or "on" or "1" => true,
            "false" or "no" or "off" or "0" => false,
            _ => throw new UsageException($"--{name} is a flag: give it alone, or as --{name}=true or --{name}=false (got '{values[^1]}')"),
        };
    }

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
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw new UsageException($"--{name} expects a finite number, got '{text}'");
        if (v < min || v > max)
            throw new UsageException($"--{name} must be {(max is null ? $"at least {min}" : min is null ? $"at most {max}" : $"between {min} and {max}")}, got {text}");
        return v;
    }

    /// <summary>The compute device of --<paramref name="name"/> (else STUDIO_DEVICE, else cpu).</summary>
    public Device Device(string name = "device") => Parsed(name, TorchDevices.Resolve);

    /// <summary>The compute dtype of --<paramref name="name"/> (float32 by default).</summary>
    public ScalarType Dtype(string name = "dtype") => Parsed(name, TorchDtypes.Parse);

    /// <summary>The option's value through a host parser; its ArgumentException becomes a usage error naming the option.</summary>
    private T Parsed<T>(string name, Func<string?, T> parse)
    {
        try { return parse(Get(name)); }
        catch (ArgumentException e) { throw new UsageException($"--{name}: {e.Message}"); }
    }
}

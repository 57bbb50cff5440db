using Host.Abstractions;

namespace SampleHost.Commands;

/// <summary>Binds <c>--name value</c> pairs to a command's declared parameters.</summary>
public static class CommandArguments
{
    /// <summary>
    /// Every declared parameter by name: the given value parsed to its kind, else the default, else null.
    /// Throws <see cref="CommandArgumentException"/> for unknown names, unparsable values, missing required
    /// values and values outside bounds, choices or the parameter's own validation.
    /// </summary>
    public static IReadOnlyDictionary<string, object?> Bind(CommandDefinition command, IReadOnlyDictionary<string, string> given)
    {
        var declared = command.Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var unknown = given.Keys.Where(k => !declared.ContainsKey(k)).ToList();
        if (unknown.Count > 0)
        {
            var known = declared.Count == 0 ? "it takes no parameters" : "it takes " + string.Join(", ", declared.Keys.Select(k => "--" + k));
            throw new CommandArgumentException(
                $"unknown parameter{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(k => "--" + k))} for {command.Id}; {known}");
        }

        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in command.Parameters)
            values[p.Name] = BindOne(p, given);
        return values;
    }

    /// <summary>
    /// Every problem with <paramref name="given"/>, by parameter name (unknown names under their own name): what a form
    /// shows beside each field. Empty when <see cref="Bind"/> would succeed. The same rules as <see cref="Bind"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Problems(CommandDefinition command, IReadOnlyDictionary<string, string> given)
    {
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        var declared = command.Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var unknown in given.Keys.Where(k => !declared.Contains(k)))
            problems[unknown] = $"--{unknown} is not a parameter of {command.Id}";
        foreach (var p in command.Parameters)
        {
            try { BindOne(p, given); }
            catch (CommandArgumentException e) { problems[p.Name] = e.Message; }
        }
        return problems;
    }

    private static object? BindOne(CommandParameter p, IReadOnlyDictionary<string, string> given)
    {
        object? value = given.TryGetValue(p.Name, out var text) ? ParameterValues.Parse(p, text)
            : p.Default is null ? null : ParameterValues.Normalize(p, p.Default);
        if (value is null)
        {
            if (p.Required)
                throw new CommandArgumentException(p.Description.Length > 0 ? $"--{p.Name} is required: {p.Description}" : $"--{p.Name} is required");
            return null;
        }
        if (ParameterValues.CheckBounds(p, value) is { } problem) throw new CommandArgumentException(problem);
        if (p.Validate?.Invoke(value) is { } message) throw new CommandArgumentException($"--{p.Name}: {message}");
        return value;
    }
}

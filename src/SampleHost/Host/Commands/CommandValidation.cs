using System.Text.RegularExpressions;
using Host.Abstractions;

namespace SampleHost.Commands;

/// <summary>Rules a command definition must follow before the host accepts it; errors name the command and field.</summary>
public static partial class CommandValidation
{
    /// <summary>Option names the run verb keeps for itself.</summary>
    public static readonly IReadOnlySet<string> ReservedParameterNames = new HashSet<string>(StringComparer.Ordinal) { "help", "preview", "verbose", "model", "project", "device", "dtype" };

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    public static partial Regex IdPattern();

    [GeneratedRegex("^[a-z][a-z0-9-]*$")]
    private static partial Regex ParameterNamePattern();

    /// <summary>Throws <see cref="ArgumentException"/> saying what is wrong with <paramref name="command"/>.</summary>
    public static void Check(CommandDefinition command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var id = command.Id ?? "";
        if (!IdPattern().IsMatch(id))
            throw new ArgumentException($"command id '{id}' is not valid: use lowercase letters, digits, '.', '-' and '_' (e.g. esd.erase-concept)");
        if (string.IsNullOrWhiteSpace(command.Title))
            throw new ArgumentException($"command '{id}': Title is empty");
        var segments = (command.MenuPath ?? "").Split('/');
        if (segments.Length < 2 || segments.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException($"command '{id}': MenuPath '{command.MenuPath}' must be a menu and an item separated by '/', e.g. 'Tools/Count'");
        if (command.Handler is null)
            throw new ArgumentException($"command '{id}': Handler is null");
        if (command.Parameters is null)
            throw new ArgumentException($"command '{id}': Parameters is null");

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in command.Parameters)
        {
            if (p is null) throw new ArgumentException($"command '{id}': a parameter is null");
            var where = $"command '{id}', parameter '{p.Name}'";
            if (!ParameterNamePattern().IsMatch(p.Name ?? ""))
                throw new ArgumentException($"{where}: name must be lowercase letters, digits and '-', starting with a letter");
            if (ReservedParameterNames.Contains(p.Name!))
                throw new ArgumentException($"{where}: the name is reserved by the host's command line");
            if (!names.Add(p.Name!))
                throw new ArgumentException($"{where}: declared twice");
            if (!Enum.IsDefined(p.Kind))
                throw new ArgumentException($"{where}: unknown kind {(int)p.Kind}");
            if (p.Kind == ParameterKind.Choice && (p.Choices is null || p.Choices.Count == 0))
                throw new ArgumentException($"{where}: a Choice parameter needs Choices");
            if (p.Minimum > p.Maximum)
                throw new ArgumentException($"{where}: Minimum {p.Minimum} is above Maximum {p.Maximum}");
            if (p.Default is not null)
            {
                var value = ParameterValues.Normalize(p, p.Default)
                    ?? throw new ArgumentException($"{where}: Default {p.Default} ({p.Default.GetType().Name}) is not a {ParameterValues.Describe(p.Kind)}");
                if (ParameterValues.CheckBounds(p, value) is { } problem)
                    throw new ArgumentException($"{where}: Default is invalid: {problem}");
            }
        }
    }
}

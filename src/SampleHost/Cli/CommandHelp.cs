using Host.Abstractions;
using SampleHost.Commands;

namespace SampleHost.Cli;

/// <summary>A command's parameters as a help text: name, kind, default, bounds and choices.</summary>
internal static class CommandHelp
{
    public static void Write(CommandDefinition command, TextWriter output)
    {
        output.WriteLine($"{command.Id}: {command.Title} ({command.MenuPath})");
        if (command.Description.Length > 0) output.WriteLine(command.Description);
        if (command.Parameters.Count == 0)
        {
            output.WriteLine("parameters: none");
            return;
        }
        output.WriteLine("parameters:");
        foreach (var p in command.Parameters)
        {
            var notes = new List<string> { ParameterValues.Describe(p.Kind) };
            if (p.Required) notes.Add("required");
            if (p.Default is not null) notes.Add($"default {ParameterValues.Format(p.Default)}");
            if (p.Minimum is not null) notes.Add($"min {ParameterValues.Format(p.Minimum)}");
            if (p.Maximum is not null) notes.Add($"max {ParameterValues.Format(p.Maximum)}");
            if (p.Kind == ParameterKind.Choice) notes.Add("one of " + string.Join("|", p.Choices));
            output.WriteLine($"  --{p.Name,-20} {p.Description} ({string.Join(", ", notes)})");
        }
    }
}

using System.Text;

namespace SampleHost.Cli;

/// <summary>
/// A small verb parser: verbs may have one or two words ("generate", "model inspect"), each has
/// <c>--help</c>, and errors go to stderr with exit code 2.
/// </summary>
internal sealed class CommandLine(string programName, IReadOnlyList<Verb> verbs)
{
    public IReadOnlyList<Verb> Verbs { get; } = verbs;

    public async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            stdout.Write(Overview());
            return args.Length == 0 ? 2 : 0;
        }

        var (verb, consumed) = Find(args);
        if (verb is null)
        {
            stderr.WriteLine($"error: unknown command '{ConsoleText.Escape(string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(2)))}'");
            stderr.Write(Overview());
            return 2;
        }

        var rest = args.Skip(consumed).ToArray();
        if (rest.Any(a => a is "--help" or "-h"))
        {
            stdout.Write(Help(verb));
            return 0;
        }

        ParsedArgs parsed;
        try { parsed = Parse(verb, rest); }
        catch (UsageException e)
        {
            stderr.WriteLine($"error: {ConsoleText.Escape(e.Message, keepLineBreaks: true)}");
            stderr.Write(Help(verb));
            return 2;
        }

        try { return await verb.Handler(parsed, cancel); }
        catch (UsageException e)
        {
            stderr.WriteLine($"error: {ConsoleText.Escape(e.Message, keepLineBreaks: true)}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("cancelled");
            return 130;
        }
    }

    private (Verb?, int) Find(string[] args)
    {
        if (args.Length >= 2 && Verbs.FirstOrDefault(v => v.Name == $"{args[0]} {args[1]}") is { } two) return (two, 2);
        return (Verbs.FirstOrDefault(v => v.Name == args[0]), 1);
    }

    internal static ParsedArgs Parse(Verb verb, string[] args)
    {
        var positional = new Dictionary<string, string>();
        var options = new Dictionary<string, List<string>>();
        int next = 0;
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                var name = a[2..];
                string? inline = null;
                int eq = name.IndexOf('=');
                if (eq >= 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
                var spec = verb.Options.FirstOrDefault(o => o.Name == name);
                if (spec is null && !verb.AllowExtraOptions) throw new UsageException($"unknown option --{name}");
                string value;
                if (spec is { IsFlag: true }) value = inline ?? "true";
                else if (inline is not null) value = inline;
                // An undeclared option with no value after it is a flag: "--overwrite" means "--overwrite true".
                else if (spec is null && (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))) value = "true";
                else if (i + 1 < args.Length) value = args[++i];
                else throw new UsageException($"--{name} needs a value");
                if (!options.TryGetValue(name, out var list)) options[name] = list = [];
                if (list.Count > 0 && spec is { Repeatable: false }) throw new UsageException($"--{name} given more than once");
                list.Add(value);
            }
            else
            {
                if (next >= verb.Arguments.Count) throw new UsageException($"unexpected argument '{a}'");
                positional[verb.Arguments[next++].Name] = a;
            }
        }
        foreach (var arg in verb.Arguments.Skip(next).Where(x => x.Required))
            throw new UsageException($"missing argument <{arg.Name}>");
        foreach (var opt in verb.Options.Where(o => o.Required && !options.ContainsKey(o.Name)))
            throw new UsageException($"--{opt.Name} is required");
        return new ParsedArgs(verb, positional, options);
    }

    public string Overview()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"usage: {programName} <command> [options]   ({programName} <command> --help for details)");
        sb.AppendLine();
        int width = Verbs.Max(v => v.Name.Length) + 2;
        foreach (var v in Verbs) sb.AppendLine($"  {v.Name.PadRight(width)}{v.Description}");
        return sb.ToString();
    }

    public string Help(Verb verb)
    {
        var sb = new StringBuilder();
        var args = string.Concat(verb.Arguments.Select(a => a.Required ? $" <{a.Name}>" : $" [<{a.Name}>]"));
        sb.AppendLine($"usage: {programName} {verb.Name}{args}{(verb.Options.Count > 0 || verb.AllowExtraOptions ? " [options]" : "")}");
        sb.AppendLine();
        sb.AppendLine(verb.Description);
        if (verb.Arguments.Count > 0)
        {
            sb.AppendLine();
            foreach (var a in verb.Arguments) sb.AppendLine($"  <{a.Name}>  {a.Description}");
        }
        if (verb.Options.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("options:");
            foreach (var o in verb.Options)
            {
                var syntax = o.IsFlag ? $"--{o.Name}" : $"--{o.Name} <value>";
                var extra = o.Required ? " (required)" : o.Default is not null ? $" (default: {o.Default})" : "";
                sb.AppendLine($"  {syntax,-28}{o.Description}{extra}");
            }
        }
        if (verb.AllowExtraOptions) sb.AppendLine("  --<parameter> <value>       any parameter the command declares");
        return sb.ToString();
    }
}

using Host.Abstractions;
using SampleHost.Commands;

namespace SampleHost.Tests.Plugins;

public class CommandArgumentsTests
{
    private static CommandDefinition Command(params CommandParameter[] parameters) => new()
    {
        Id = "test.cmd", Title = "Cmd", MenuPath = "Tools/Cmd", Parameters = parameters,
        Handler = _ => Task.FromResult(new CommandResult("")),
    };

    private static IReadOnlyDictionary<string, object?> Bind(CommandDefinition c, params (string, string)[] given) =>
        CommandArguments.Bind(c, given.ToDictionary(g => g.Item1, g => g.Item2));

    private static string Error(CommandDefinition c, params (string, string)[] given) =>
        Assert.Throws<CommandArgumentException>(() => Bind(c, given)).Message;

    [Fact]
    public void EachKindParsesToItsType()
    {
        var c = Command(
            new CommandParameter { Name = "text", Kind = ParameterKind.Text },
            new CommandParameter { Name = "count", Kind = ParameterKind.Integer },
            new CommandParameter { Name = "scale", Kind = ParameterKind.Number },
            new CommandParameter { Name = "force", Kind = ParameterKind.Flag },
            new CommandParameter { Name = "words", Kind = ParameterKind.TextList },
            new CommandParameter { Name = "mode", Kind = ParameterKind.Choice, Choices = ["fast", "slow"] },
            new CommandParameter { Name = "out", Kind = ParameterKind.Path });

        var v = Bind(c, ("text", "a b"), ("count", "-12"), ("scale", "7.5e-1"), ("force", "yes"),
            ("words", "cat, dog ,,bird"), ("mode", "SLOW"), ("out", "sub/file.png"));

        Assert.Equal("a b", v["text"]);
        Assert.Equal(-12L, Assert.IsType<long>(v["count"]));
        Assert.Equal(0.75, Assert.IsType<double>(v["scale"]));
        Assert.True(Assert.IsType<bool>(v["force"]));
        Assert.Equal(["cat", "dog", "bird"], Assert.IsAssignableFrom<IReadOnlyList<string>>(v["words"]));
        Assert.Equal("slow", v["mode"]);
        Assert.Equal(Path.GetFullPath("sub/file.png"), v["out"]);
    }

    [Fact]
    public void DefaultsApplyAndAreWidenedToTheKindsType()
    {
        var c = Command(
            new CommandParameter { Name = "count", Kind = ParameterKind.Integer, Default = 5 },
            new CommandParameter { Name = "scale", Kind = ParameterKind.Number, Default = 2 },
            new CommandParameter { Name = "words", Kind = ParameterKind.TextList, Default = "a,b" },
            new CommandParameter { Name = "note", Kind = ParameterKind.Text });

        var v = Bind(c);

        Assert.Equal(5L, Assert.IsType<long>(v["count"]));
        Assert.Equal(2.0, Assert.IsType<double>(v["scale"]));
        Assert.Equal(["a", "b"], Assert.IsAssignableFrom<IReadOnlyList<string>>(v["words"]));
        Assert.True(v.ContainsKey("note"));
        Assert.Null(v["note"]);
    }

    [Theory]
    [InlineData(ParameterKind.Integer, "abc", "--p expects a whole number, got 'abc'")]
    [InlineData(ParameterKind.Integer, "1.5", "--p expects a whole number")]
    [InlineData(ParameterKind.Number, "x", "--p expects a number, got 'x'")]
    [InlineData(ParameterKind.Number, "NaN", "--p expects a number")]
    [InlineData(ParameterKind.Flag, "maybe", "--p expects true or false, got 'maybe'")]
    public void UnparsableValuesNameTheParameter(ParameterKind kind, string text, string expected) =>
        Assert.Contains(expected, Error(Command(new CommandParameter { Name = "p", Kind = kind }), ("p", text)));

    [Fact]
    public void UnknownParameterIsNamedWithTheKnownOnes()
    {
        var c = Command(new CommandParameter { Name = "to", Kind = ParameterKind.Integer });
        var e = Error(c, ("tooo", "3"));
        Assert.Contains("unknown parameter --tooo for test.cmd", e);
        Assert.Contains("--to", e);
    }

    [Fact]
    public void RequiredMissingIsAnError()
    {
        var c = Command(new CommandParameter { Name = "concept", Kind = ParameterKind.Text, Required = true, Description = "what to erase" });
        Assert.Equal("--concept is required: what to erase", Error(c));
    }

    [Fact]
    public void BoundsChoicesAndValidationAreChecked()
    {
        var c = Command(
            new CommandParameter { Name = "steps", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 100 },
            new CommandParameter { Name = "rate", Kind = ParameterKind.Number, Minimum = 0.5 },
            new CommandParameter { Name = "mode", Kind = ParameterKind.Choice, Choices = ["a", "b"] },
            new CommandParameter { Name = "name", Kind = ParameterKind.Text, Validate = v => ((string)v).Contains(' ') ? "must not contain spaces" : null });

        Assert.Equal("--steps must be at least 1, got 0", Error(c, ("steps", "0")));
        Assert.Equal("--steps must be at most 100, got 101", Error(c, ("steps", "101")));
        Assert.Equal("--rate must be at least 0.5, got 0.25", Error(c, ("rate", "0.25")));
        Assert.Equal("--mode must be one of a, b; got 'c'", Error(c, ("mode", "c")));
        Assert.Equal("--name: must not contain spaces", Error(c, ("name", "a b")));
        Assert.Equal(100L, Bind(c, ("steps", "100"))["steps"]);
    }

    [Fact]
    public void RegistryRefusesBadDefinitions()
    {
        var registry = new CommandRegistry();
        ArgumentException Refused(CommandDefinition d) => Assert.Throws<ArgumentException>(() => registry.Add(new RegisteredCommand(d, "test")));

        Assert.Contains("command id 'Bad Id'", Refused(new CommandDefinition { Id = "Bad Id", Title = "t", MenuPath = "A/B", Handler = _ => null! }).Message);
        Assert.Contains("MenuPath 'Tools'", Refused(new CommandDefinition { Id = "t.x", Title = "t", MenuPath = "Tools", Handler = _ => null! }).Message);
        Assert.Contains("reserved", Refused(Command(new CommandParameter { Name = "preview", Kind = ParameterKind.Path })).Message);
        Assert.Contains("declared twice", Refused(Command(new CommandParameter { Name = "a", Kind = ParameterKind.Text }, new CommandParameter { Name = "a", Kind = ParameterKind.Text })).Message);
        Assert.Contains("needs Choices", Refused(Command(new CommandParameter { Name = "m", Kind = ParameterKind.Choice })).Message);
        Assert.Contains("Default", Refused(Command(new CommandParameter { Name = "n", Kind = ParameterKind.Integer, Default = "five" })).Message);
        Assert.Contains("Default is invalid", Refused(Command(new CommandParameter { Name = "n", Kind = ParameterKind.Integer, Default = 0L, Minimum = 1 })).Message);

        registry.Add(new RegisteredCommand(Command(), "first"));
        var dup = Refused(Command());
        Assert.Contains("already registered by first", dup.Message);
        Assert.Single(registry.Commands);
    }

    [Fact]
    public void AddRangeIsAllOrNothing()
    {
        var registry = new CommandRegistry();
        registry.Add(new RegisteredCommand(Command(), "first"));
        var fresh = new CommandDefinition { Id = "test.fresh", Title = "F", MenuPath = "Tools/F", Handler = _ => Task.FromResult(new CommandResult("")) };
        Assert.Throws<ArgumentException>(() => registry.AddRange([new(fresh, "second"), new(Command(), "second")]));
        Assert.Null(registry.Find("test.fresh"));
    }
}

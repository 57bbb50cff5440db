using SampleHost.Cli;

namespace SampleHost.Tests.Cli;

/// <summary>How the command line reads options.</summary>
public class CommandLineTests
{
    private static readonly Verb Sample = new()
    {
        Name = "sample",
        Description = "a verb for these tests",
        Options = [new OptionSpec("json", "print JSON", IsFlag: true), new OptionSpec("device", "device")],
        Handler = (_, _) => Task.FromResult(0),
    };

    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "--json" }, true)]
    [InlineData(new[] { "--json=true" }, true)]
    [InlineData(new[] { "--json=false" }, false)]
    [InlineData(new[] { "--json=no" }, false)]
    [InlineData(new[] { "--json=0" }, false)]
    public void AFlagMeansWhatItSays(string[] args, bool expected) =>
        Assert.Equal(expected, CommandLine.Parse(Sample, args).Flag("json"));

    [Fact]
    public void AFlagWithAnotherValueIsAUsageError()
    {
        var e = Assert.Throws<UsageException>(() => CommandLine.Parse(Sample, ["--json=maybe"]).Flag("json"));
        Assert.Contains("--json", e.Message);
    }

    [Fact]
    public void AHostParsersRefusalNamesTheOption()
    {
        // The host throws ArgumentException (it knows nothing of options); the command line names the option.
        var e = Assert.Throws<UsageException>(() => CommandLine.Parse(Sample, ["--device", "tpu"]).Device());
        Assert.StartsWith("--device: unknown device 'tpu'", e.Message);
        Assert.Throws<ArgumentException>(() => SampleHost.Hosting.TorchDevices.Resolve("tpu"));
    }
}

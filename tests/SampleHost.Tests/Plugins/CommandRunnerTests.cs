using TestUtilities;
using Host.Abstractions;
using Microsoft.Extensions.Logging.Abstractions;
using SampleHost.Commands;
using SampleHost.Hosting;

namespace SampleHost.Tests.Plugins;

/// <summary>The scratch fixture's command, loaded through the plugin loader and run in this process.</summary>
public sealed class CommandRunnerTests : IDisposable
{
    private readonly StudioHost host = FixturePlugins.Host([FixturePlugins.Root], StudioProcess.FreshDataFolder());

    private RegisteredCommand Count
    {
        get
        {
            _ = host.Plugins;
            return host.Commands.Find("scratch.count") ?? throw new InvalidOperationException("scratch.count not registered");
        }
    }

    private Task<CommandOutcome> Run(IProgress<ProgressReport> progress, CancellationToken cancel, params (string, string)[] given) =>
        host.Runner.RunAsync(Count, given.ToDictionary(g => g.Item1, g => g.Item2), progress, cancel);

    [Fact]
    public async Task CountReportsEachStepAndSucceeds()
    {
        var progress = new RecordingProgress();
        var outcome = await Run(progress, CancellationToken.None, ("to", "4"), ("delay-ms", "1"));

        Assert.Equal(CommandOutcomeKind.Succeeded, outcome.Kind);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("counted to 4", outcome.Result!.Message);
        Assert.Empty(outcome.Result.Files);
        Assert.Equal([0.25, 0.5, 0.75, 1.0], progress.Reports.Select(r => r.Fraction));
        Assert.Equal("step 2 of 4", progress.Reports[1].Message);
    }

    [Fact]
    public async Task DefaultsApplyWhenNothingIsGiven()
    {
        var progress = new RecordingProgress();
        var outcome = await Run(progress, CancellationToken.None);
        Assert.Equal("counted to 5", outcome.Result!.Message);
        Assert.Equal(5, progress.Reports.Count);
    }

    [Fact]
    public async Task BadIntegerIsInvalidArgumentsAndTheHandlerNeverRuns()
    {
        var progress = new RecordingProgress();
        var outcome = await Run(progress, CancellationToken.None, ("to", "five"));

        Assert.Equal(CommandOutcomeKind.InvalidArguments, outcome.Kind);
        Assert.Equal(2, outcome.ExitCode);
        Assert.Equal("--to expects a whole number, got 'five'", outcome.Error);
        Assert.Empty(progress.Reports);
    }

    [Fact]
    public async Task UnknownParameterIsInvalidArguments()
    {
        var outcome = await Run(new RecordingProgress(), CancellationToken.None, ("speed", "3"));
        Assert.Equal(CommandOutcomeKind.InvalidArguments, outcome.Kind);
        Assert.Contains("unknown parameter --speed for scratch.count", outcome.Error);
    }

    [Fact]
    public async Task OutOfRangeIsInvalidArguments()
    {
        var outcome = await Run(new RecordingProgress(), CancellationToken.None, ("to", "0"));
        Assert.Equal("--to must be at least 1, got 0", outcome.Error);
    }

    [Fact]
    public async Task CancellingMidRunStopsPromptlyWithTheCancelledOutcome()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new RecordingProgress(r => { if (r.Fraction >= 0.03) cancel.Cancel(); });

        var outcome = await Run(progress, cancel.Token, ("to", "100"), ("delay-ms", "5"));

        Assert.Equal(CommandOutcomeKind.Cancelled, outcome.Kind);
        Assert.Equal(130, outcome.ExitCode);
        Assert.Null(outcome.Result);
        Assert.Equal(3, progress.Reports.Count);
    }

    [Fact]
    public async Task AlreadyCancelledNeverStarts()
    {
        var progress = new RecordingProgress();
        var outcome = await Run(progress, new CancellationToken(true));
        Assert.Equal(CommandOutcomeKind.Cancelled, outcome.Kind);
        Assert.Empty(progress.Reports);
    }

    [Fact]
    public async Task HandlerThatThrowsFails()
    {
        var command = new RegisteredCommand(new CommandDefinition
        {
            Id = "test.boom", Title = "Boom", MenuPath = "Tools/Boom",
            Handler = _ => throw new IOException("disk full"),
        }, "test");
        var runner = new CommandRunner(NullLogger.Instance);

        var outcome = await runner.RunAsync(command, new Dictionary<string, string>(), new RecordingProgress(), CancellationToken.None);

        Assert.Equal(CommandOutcomeKind.Failed, outcome.Kind);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal("test.boom failed: disk full", outcome.Error);
    }

    [Fact]
    public async Task OperationCanceledWithoutCancellationIsAFailure()
    {
        var command = new RegisteredCommand(new CommandDefinition
        {
            Id = "test.timeout", Title = "T", MenuPath = "Tools/T",
            Handler = _ => throw new TaskCanceledException("inner timeout"),
        }, "test");
        var outcome = await new CommandRunner(NullLogger.Instance).RunAsync(command, new Dictionary<string, string>(), new RecordingProgress(), CancellationToken.None);
        Assert.Equal(CommandOutcomeKind.Failed, outcome.Kind);
    }

    public void Dispose() => host.Dispose();
}

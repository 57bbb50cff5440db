using TestUtilities;
namespace SampleHost.Tests.Cli;

[Collection(HeavyTests.Name)]
public class VersionVerbTests
{
    [Fact]
    public void VersionVerbPrintsTorchStack()
    {
        var (code, stdout, stderr) = StudioProcess.Run("version");
        Assert.True(code == 0, stderr);
        Assert.Contains("TorchSharp 0.107.0", stdout);
        Assert.Contains("LibTorch 2.10", stdout);
        Assert.Contains("device cpu", stdout);
        Assert.Matches(@"torch CPU threads \d+", stdout);
    }

    [Fact]
    public void UnknownVerbFailsWithMessage()
    {
        var (code, _, stderr) = StudioProcess.Run("frobnicate");
        Assert.NotEqual(0, code);
        Assert.Contains("unknown command", stderr);
    }
}

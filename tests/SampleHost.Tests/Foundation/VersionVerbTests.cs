namespace SampleHost.Tests.Foundation;

public class VersionVerbTests
{
    [Fact]
    public void VersionVerbPrintsTorchStack()
    {
        var (code, stdout, stderr) = Studio.Run("version");
        Assert.True(code == 0, stderr);
        Assert.Contains("TorchSharp 0.107.0", stdout);
        Assert.Contains("LibTorch 2.10", stdout);
        Assert.Contains("device cpu", stdout);
        Assert.Matches(@"torch CPU threads \d+", stdout);
    }

    [Fact]
    public void UnknownVerbFailsWithMessage()
    {
        var (code, _, stderr) = Studio.Run("frobnicate");
        Assert.NotEqual(0, code);
        Assert.Contains("unknown command", stderr);
    }
}

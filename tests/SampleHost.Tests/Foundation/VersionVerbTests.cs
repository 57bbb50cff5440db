using System.Diagnostics;

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

/// <summary>Runs the built studio program as a user would, in a separate process.</summary>
internal static class Studio
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "studio.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["STUDIO_LOG_DIR"] = Path.Combine(Path.GetTempPath(), "studio-test-logs");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

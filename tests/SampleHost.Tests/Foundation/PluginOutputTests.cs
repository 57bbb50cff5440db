using TestUtilities;
namespace SampleHost.Tests.Foundation;

public class PluginOutputTests
{
    [Fact]
    public void PluginOutputHasNoTorchSharpNorLibTorch()
    {
        var dir = RepoPaths.ProjectOutput("src/EsdPlugin");
        Assert.True(File.Exists(Path.Combine(dir, "EsdPlugin.dll")), $"plugin not built at {dir}");
        var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain("TorchSharp.dll", files);
        Assert.DoesNotContain(files, f => f!.Contains("torch", StringComparison.OrdinalIgnoreCase) && !f.StartsWith("EsdPlugin", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f!.EndsWith(".so", StringComparison.Ordinal) || f.EndsWith(".dylib", StringComparison.Ordinal));
    }
}

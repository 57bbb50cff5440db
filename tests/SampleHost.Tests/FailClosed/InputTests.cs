using Host.Abstractions;
using SampleHost.Hosting;
using SampleHost.Patches;
using SampleHost.Plugins;
using SampleHost.Projects;
using SampleHost.Tests.LoadedModels;
using SampleHost.Tests.Plugins;
using TestUtilities;
using static TorchSharp.torch;

namespace SampleHost.Tests.FailClosed;

/// <summary>Bad input gets a clear error before any work, names what is wrong, and changes nothing.</summary>
[Collection(HeavyTests.Name)]
public class InputTests
{
    [Fact]
    public void ControlCharactersFromAProjectFileReachTheTerminalEscaped()
    {
        using var tmp = new TempFolder();
        var folder = ProjectService.Create(tmp.Sub("p"), new ProjectSettings("Evil\u001b[2J\u001b[31m", null, ["star\u0007"], null)).Folder;
        var (code, stdout, stderr) = StudioProcess.Run("project", "show", folder);
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain('\u001b', stdout);
        Assert.DoesNotContain('\u0007', stdout);
        Assert.Contains("Evil\\e[2J\\e[31m", stdout);
        Assert.Contains("star\\u0007", stdout);
    }

    [Fact]
    public void GenerateRefusesBadArgumentsBeforeLoadingAnything()
    {
        using var tmp = new TempFolder();
        var existing = tmp.File("not-a-folder.png");
        File.WriteAllText(existing, "keep me");
        var (code, _, stderr) = StudioProcess.Run("generate", "--model", AlphaFixture.Folder, "--prompt", "a cat", "--steps", "1", "--out", existing);
        Assert.Equal(2, code);
        Assert.Contains("--out", stderr);
        Assert.Equal("keep me", File.ReadAllText(existing));

        var nan = StudioProcess.Run("generate", "--model", AlphaFixture.Folder, "--prompt", "a cat", "--guidance", "nan");
        Assert.Equal(2, nan.Code);
        Assert.Contains("--guidance expects a finite number", nan.Stderr);

        var wide = StudioProcess.Run("generate", "--model", AlphaFixture.Folder, "--prompt", "a cat", "--width", "8192");
        Assert.Equal(2, wide.Code);
        Assert.Contains("--width must be between", wide.Stderr);
    }

    [Fact]
    public void APatchWithANanIsRefusedWholeNamingTheTensor()
    {
        using var model = new TinyModel(Path.GetTempPath());
        var before = model.Tiny.Snapshot();
        var name = model.Tiny.named_parameters().First().name;
        var bad = model.Tiny.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        bad[name].view(-1)[0] = tensor(float.PositiveInfinity);
        var e = Assert.Throws<WeightPatchException>(() => model.Patcher.Apply(bad, "bad"));
        Assert.Contains($"'{name}' holds NaN or infinite values", e.Message);
        Assert.Equal(before, model.Tiny.Snapshot());
    }

    [Fact]
    public void AKilledProcesssTemporaryFilesAreRemovedAtTheNextStart()
    {
        using var tmp = new TempFolder();
        var data = tmp.Sub("data");
        var stale = tmp.File("data/plugins/esd/checkpoints/abc/.student.safetensors.00112233445566778899aabbccddeeff.tmp");
        File.WriteAllText(stale, "half");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-1));
        using (FixturePlugins.Host([], data)) { }
        Assert.False(File.Exists(stale));
    }
}

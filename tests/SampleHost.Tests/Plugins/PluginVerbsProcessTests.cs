using TestUtilities;
using System.Diagnostics;
using Newtonsoft.Json.Linq;

namespace SampleHost.Tests.Plugins;

/// <summary>The plugins, menu and run verbs of the built studio, run as separate processes.</summary>
[Collection(HeavyTests.Name)]
public class PluginVerbsProcessTests
{
    [Fact]
    public void PluginsVerbFindsTheBundledEsdPlugin()
    {
        var (code, stdout, stderr) = StudioProcess.RunWithPlugins(null, "plugins");
        Assert.True(code == 0, stderr);
        Assert.Contains("esd  Erase Concepts (ESD)  0.1.0  active", stdout);
        Assert.Contains(Path.Combine(Path.GetDirectoryName(RepoPaths.StudioDll)!, "plugins", "EsdPlugin"), stdout);
        Assert.Contains("esd.about", stdout);
        Assert.DoesNotContain("scratch", stdout);
    }

    [Fact]
    public void PluginsJsonListsEveryFixtureWithStatusAndReason()
    {
        var (code, stdout, stderr) = StudioProcess.RunWithPlugins(FixturePlugins.Root, "plugins", "--json");
        Assert.True(code == 0, stderr);
        var plugins = JArray.Parse(stdout).Cast<JObject>().ToDictionary(p => (string)p["id"]!);

        Assert.Equal("active", (string?)plugins["esd"]["status"]);
        Assert.Equal("active", (string?)plugins["scratch"]["status"]);
        Assert.Equal("1.2.3", (string?)plugins["scratch"]["version"]);
        Assert.Equal(FixturePlugins.Folder("ScratchPlugin"), (string?)plugins["scratch"]["folder"]);
        Assert.Equal(JTokenType.Null, plugins["scratch"]["reason"]!.Type);
        Assert.Equal("active", (string?)plugins["owncopy"]["status"]);
        Assert.Equal("malfunctioned", (string?)plugins["BadManifest"]["status"]);
        Assert.Contains("not valid JSON", (string?)plugins["BadManifest"]["reason"]);
        Assert.Equal("malfunctioned", (string?)plugins["missingassembly"]["status"]);
        Assert.Equal("not supported", (string?)plugins["futureapi"]["status"]);
        Assert.Equal("malfunctioned", (string?)plugins["throws"]["status"]);
        Assert.Contains("fixture failure", (string?)plugins["throws"]["reason"]);
        Assert.Equal("malfunctioned", (string?)plugins["liar"]["status"]);
        Assert.Contains("liar.ghost", (string?)plugins["liar"]["reason"]);
    }

    [Fact]
    public void DisabledByEnvironmentShowsDisabled()
    {
        var env = new Dictionary<string, string>
        {
            ["STUDIO_DATA_DIR"] = StudioProcess.FreshDataFolder(),
            ["STUDIO_PLUGINS_DIR"] = FixturePlugins.Root,
            ["STUDIO_DISABLED_PLUGINS"] = "scratch, owncopy",
        };
        using var p = Process.Start(StudioProcess.StartInfo(env, "plugins", "--json"))!;
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var plugins = JArray.Parse(stdout).Cast<JObject>().ToDictionary(x => (string)x["id"]!);
        Assert.Equal("disabled", (string?)plugins["scratch"]["status"]);
        Assert.Equal("disabled", (string?)plugins["owncopy"]["status"]);
        Assert.Equal("active", (string?)plugins["esd"]["status"]);
    }

    [Fact]
    public void MenuListsHostItemsAndPluginCommandsWithIds()
    {
        var (code, stdout, stderr) = StudioProcess.RunWithPlugins(FixturePlugins.Root, "menu");
        Assert.True(code == 0, stderr);
        Assert.Contains("Generate…", stdout);
        Assert.Contains("Inspect model…", stdout);
        Assert.Contains("New project…", stdout);
        Assert.Matches(@"(?m)^Tools\s*$", stdout);
        Assert.Matches(@"(?m)^  Count\s+studio run scratch\.count", stdout);
        Assert.Matches(@"(?m)^  About ESD\s+studio run esd\.about", stdout);
        // Commands of broken plugins are not offered.
        Assert.DoesNotContain("throws.first", stdout);
        Assert.DoesNotContain("liar.real", stdout);
    }

    [Fact]
    public void RunEsdAboutPrintsVersions()
    {
        var (code, stdout, stderr) = StudioProcess.RunWithPlugins(null, "run", "esd.about");
        Assert.True(code == 0, stderr);
        Assert.Contains("Erase Concepts (ESD) 0.1.0", stdout);
        Assert.Contains($"plugin contract {Host.Abstractions.HostApi.Current}", stdout);
    }

    [Fact]
    public void RunScratchCountShowsProgressAndSavesPreview()
    {
        var preview = Path.Combine(StudioProcess.FreshDataFolder(), "preview.png");
        var (code, stdout, stderr) = StudioProcess.RunWithPlugins(FixturePlugins.Root, "run", "scratch.count", "--to", "3", "--delay-ms", "1", "--preview", preview);

        Assert.True(code == 0, stderr);
        Assert.Equal("counted to 3", stdout.Trim());
        Assert.Contains(" 33% step 1 of 3", stderr);
        Assert.Contains("100% step 3 of 3", stderr);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(preview)[..4]);
    }

    [Fact]
    public void RunWithBadIntegerExitsTwoNamingTheParameter()
    {
        var (code, stdout, stderr) = StudioProcess.RunWithPlugins(FixturePlugins.Root, "run", "scratch.count", "--to", "lots");
        Assert.Equal(2, code);
        Assert.Contains("error: --to expects a whole number, got 'lots'", stderr);
        Assert.Contains("--delay-ms", stderr); // the command's parameters are listed
        Assert.Equal("", stdout);
    }

    [Fact]
    public void RunWithUnknownParameterExitsTwo()
    {
        var (code, _, stderr) = StudioProcess.RunWithPlugins(FixturePlugins.Root, "run", "scratch.count", "--speed", "9");
        Assert.Equal(2, code);
        Assert.Contains("unknown parameter --speed for scratch.count", stderr);
    }

    [Fact]
    public void RunUnknownCommandExitsTwo()
    {
        var (code, _, stderr) = StudioProcess.RunWithPlugins(null, "run", "nope.nothing");
        Assert.Equal(2, code);
        Assert.Contains("unknown command 'nope.nothing'", stderr);
    }

    [Fact]
    public void RunCommandOfBrokenPluginExplainsWhy()
    {
        var (code, _, stderr) = StudioProcess.RunWithPlugins(FixturePlugins.Root, "run", "liar.real");
        Assert.Equal(1, code);
        Assert.Contains("belongs to plugin 'liar', which is malfunctioned", stderr);
    }

    [SigintFact]
    public async Task CtrlCCancelsARunningCommandWithExit130()
    {
        var env = new Dictionary<string, string> { ["STUDIO_DATA_DIR"] = StudioProcess.FreshDataFolder(), ["STUDIO_PLUGINS_DIR"] = FixturePlugins.Root };
        using var p = Process.Start(StudioProcess.StartInfo(env, "run", "scratch.count", "--to", "1000", "--delay-ms", "50"))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        string? line;
        while ((line = await p.StandardError.ReadLineAsync()) is not null)
        {
            stderr.AppendLine(line);
            if (line.Contains("step 2 of 1000")) break;
        }
        Assert.True(line is not null, $"no progress seen: {stderr}");

        StudioProcess.Interrupt(p);
        var rest = p.StandardError.ReadToEndAsync();
        // Generous: in CI this runs beside the other test project's trainings on two cores.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            p.Kill();
            Assert.Fail($"no exit within 120 s of SIGINT; stderr so far: {stderr}");
        }
        stderr.Append(await rest);

        Assert.Equal(130, p.ExitCode);
        Assert.Contains("cancelled", stderr.ToString());
        Assert.DoesNotContain("step 100 of 1000", stderr.ToString());
        Assert.DoesNotContain("counted", await stdout);
    }

}

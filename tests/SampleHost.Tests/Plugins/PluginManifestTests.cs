using TestUtilities;
using Newtonsoft.Json.Linq;
using SampleHost.Plugins;

namespace SampleHost.Tests.Plugins;

public class PluginManifestTests
{
    private const string Path_ = "/plugins/X/manifest.json";

    private static JObject Valid() => new()
    {
        ["id"] = "demo",
        ["name"] = "Demo",
        ["version"] = "1.2.3",
        ["description"] = "d",
        ["entryAssembly"] = "Demo.dll",
        ["hostApi"] = ">=1.0 <2.0",
        ["commands"] = new JArray("demo.run", "demo.stop"),
    };

    [Fact]
    public void ValidManifestIsRead()
    {
        var m = PluginManifest.Parse(Valid().ToString(), Path_);
        Assert.Equal("demo", m.Id);
        Assert.Equal("Demo", m.Name);
        Assert.Equal("1.2.3", m.Version);
        Assert.Equal("Demo.dll", m.EntryAssembly);
        Assert.Null(m.EntryType);
        Assert.Equal(["demo.run", "demo.stop"], m.Commands);
        Assert.True(m.Enabled);
        Assert.True(m.HostApi.Includes(new Version(1, 0)));
    }

    [Fact]
    public void RootManifestOfTheEsdPluginIsValid()
    {
        var m = PluginManifest.Load(Path.Combine(RepoPaths.Root, "manifest.json"));
        Assert.Equal("esd", m.Id);
        Assert.Equal("EsdPlugin.dll", m.EntryAssembly);
        Assert.Contains("esd.about", m.Commands);
        Assert.True(m.HostApi.Includes(Host.Abstractions.HostApi.Current));
    }

    public static TheoryData<string, object?, string> BadFields => new()
    {
        { "id", null, "field 'id' is missing" },
        { "id", "Has Space", "field 'id'" },
        { "name", 5, "field 'name' must be a string" },
        { "version", "one", "field 'version'" },
        { "entryAssembly", "../evil.dll", "field 'entryAssembly'" },
        { "entryAssembly", "Demo.exe", "field 'entryAssembly'" },
        { "hostApi", ">=1.0 <2", "field 'hostApi'" },
        { "hostApi", "", "field 'hostApi' is empty" },
        { "commands", "demo.run", "field 'commands' must be an array" },
        { "commands", null, "field 'commands' is missing" },
        { "enabled", "no", "field 'enabled' must be true or false" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public void InvalidFieldIsNamedWithTheFile(string field, object? value, string expected)
    {
        var json = Valid();
        if (value is null) json.Remove(field);
        else json[field] = JToken.FromObject(value);

        var e = Assert.Throws<PluginManifestException>(() => PluginManifest.Parse(json.ToString(), Path_));
        Assert.StartsWith(Path_ + ":", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void CommandsMustCarryThePluginIdPrefix()
    {
        var json = Valid();
        json["commands"] = new JArray("other.run");
        var e = Assert.Throws<PluginManifestException>(() => PluginManifest.Parse(json.ToString(), Path_));
        Assert.Contains("'other.run' must be 'demo.'", e.Message);
    }

    [Fact]
    public void DuplicateCommandIsRefused()
    {
        var json = Valid();
        json["commands"] = new JArray("demo.run", "demo.run");
        Assert.Contains("twice", Assert.Throws<PluginManifestException>(() => PluginManifest.Parse(json.ToString(), Path_)).Message);
    }

    [Fact]
    public void MalformedJsonSaysWhere()
    {
        var e = Assert.Throws<PluginManifestException>(() => PluginManifest.Parse("{ \"id\": \"x\" \"name\": 1 }", Path_));
        Assert.Contains("not valid JSON", e.Message);
        Assert.Contains("line 1", e.Message);
    }

    [Fact]
    public void NonObjectIsRefused() =>
        Assert.Contains("expected a JSON object", Assert.Throws<PluginManifestException>(() => PluginManifest.Parse("[1]", Path_)).Message);

    [Fact]
    public void DisabledAndEntryTypeAreRead()
    {
        var json = Valid();
        json["enabled"] = false;
        json["entryType"] = "Demo.Entry";
        var m = PluginManifest.Parse(json.ToString(), Path_);
        Assert.False(m.Enabled);
        Assert.Equal("Demo.Entry", m.EntryType);
    }
}

public class HostApiRangeTests
{
    [Theory]
    [InlineData(">=1.0 <2.0", "1.0", true)]
    [InlineData(">=1.0 <2.0", "1.9", true)]
    [InlineData(">=1.0 <2.0", "2.0", false)]
    [InlineData(">=1.0 <2.0", "0.9", false)]
    [InlineData(">=1.1", "1.0", false)]
    [InlineData(">1.0", "1.0", false)]
    [InlineData(">1.0", "1.0.1", true)]
    [InlineData("<=1.0", "1.0", true)]
    [InlineData("1.0", "1.0", true)]
    [InlineData("=1.0.0", "1.0", true)]
    [InlineData("1.0", "1.1", false)]
    [InlineData(">=2.0 <3.0", "1.0", false)]
    public void RangeIncludesVersions(string range, string version, bool included)
    {
        Assert.True(HostApiRange.TryParse(range, out var r));
        Assert.Equal(included, r.Includes(Version.Parse(version)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("~1.0")]
    [InlineData(">=1")]
    [InlineData("^1.0")]
    [InlineData(">=1.0 || <3.0")]
    [InlineData("1.0-beta")]
    public void BadRangesAreRefused(string range) => Assert.False(HostApiRange.TryParse(range, out _));
}

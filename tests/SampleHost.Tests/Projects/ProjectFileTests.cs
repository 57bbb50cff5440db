using TestUtilities;
using Newtonsoft.Json.Linq;
using SampleHost.Projects;

namespace SampleHost.Tests.Projects;

public class ProjectFileTests
{
    private static string FileIn(string folder) => Path.Combine(folder, ProjectFile.FileName);

    [Fact]
    public void BlocklistRoundTrips()
    {
        using var temp = new TempFolder();
        var settings = new ProjectSettings("Stars", "../models/tiny", ["star", "Star Wars", "night sky"], "renders");
        ProjectFile.Write(temp.Path, settings);

        var read = ProjectFile.Read(temp.Path);

        Assert.Equal("Stars", read.Name);
        Assert.Equal("../models/tiny", read.BaseModel);
        Assert.Equal(["star", "Star Wars", "night sky"], read.Blocklist);
        Assert.Equal("renders", read.OutputFolder);
        var project = new Project(temp.Path, read);
        Assert.Equal(Path.GetFullPath(Path.Combine(temp.Path, "..", "models", "tiny")), project.BaseModel);
        Assert.Equal(Path.Combine(temp.Path, "renders"), project.OutputFolder);
        // The atomic write leaves no temporary file behind.
        Assert.Equal([ProjectFile.FileName], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void OptionalFieldsMayBeMissing()
    {
        using var temp = new TempFolder();
        File.WriteAllText(FileIn(temp.Path), """{ "name": "Minimal" }""");
        var read = ProjectFile.Read(temp.Path);
        Assert.Null(read.BaseModel);
        Assert.Null(read.OutputFolder);
        Assert.Empty(read.Blocklist);
        Assert.Equal(Path.Combine(temp.Path, Project.DefaultOutputFolder), new Project(temp.Path, read).OutputFolder);

        ProjectFile.Write(temp.Path, read with { Blocklist = ["cat"] });
        var rewritten = JObject.Parse(File.ReadAllText(FileIn(temp.Path)));
        Assert.Equal(["cat"], rewritten["blocklist"]!.Values<string>());
    }

    [Fact]
    public void AMisspeltBlocklistIsRefusedNotTakenForNone()
    {
        using var temp = new TempFolder();
        File.WriteAllText(FileIn(temp.Path), "{\n  \"name\": \"a\",\n  \"Blocklist\": [\"star\"]\n}");
        var e = Assert.Throws<ProjectFileException>(() => ProjectFile.Read(temp.Path));
        Assert.Equal("Blocklist", e.Field);
        Assert.Contains("did you mean 'blocklist'?", e.Message);
    }

    [Fact]
    public void ALongBlocklistReadsInLinearTime()
    {
        using var temp = new TempFolder();
        var concepts = Enumerable.Range(0, 40_000).Select(i => $"concept {i}").ToList();
        File.WriteAllText(FileIn(temp.Path), new JObject { ["name"] = "big", ["blocklist"] = new JArray(concepts) }.ToString());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var read = ProjectFile.Read(temp.Path);
        Assert.Equal(40_000, read.Blocklist.Count);
        // Quadratic de-duplication took 44 s here; linear takes well under one.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"40,000 concepts took {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void BlocklistEntriesAreNormalisedAndDeduplicatedOnRead()
    {
        using var temp = new TempFolder();
        File.WriteAllText(FileIn(temp.Path), """{ "name": "n", "blocklist": ["  night   sky ", "NIGHT SKY", "star"] }""");
        Assert.Equal(["night sky", "star"], ProjectFile.Read(temp.Path).Blocklist);
    }

    public static TheoryData<string, string, int, string> Faults => new()
    {
        // text, field, line, expected words in the problem
        { "{\n  \"name\": \"a\",\n  \"blocklist\": [\"star\",\n}", "blocklist[0]", 4, "not valid JSON" },
        { "{\n  \"name\": \"a\",\n  \"blocklist\": \"star\"\n}", "blocklist", 3, "must be an array of strings" },
        { "{\n  \"name\": \"a\",\n  \"blocklist\": [\"star\", 7]\n}", "blocklist[1]", 3, "must be an array of strings" },
        { "{\n  \"name\": \"a\",\n  \"blocklist\": { \"star\": true }\n}", "blocklist", 3, "must be an array of strings" },
        { "{\n  \"baseModel\": \"m\"\n}", "name", 1, "is required" },
        { "{\n  \"name\": 12\n}", "name", 2, "must be a string" },
        { "{\n  \"name\": \"  \"\n}", "name", 2, "must not be empty" },
        { "{\n  \"name\": \"a\",\n  \"outputFolder\": [\"x\"]\n}", "outputFolder", 3, "must be a string" },
        { "{\n  \"name\": \"a\",\n  \"name\": \"b\"\n}", "name", 3, "not valid JSON" },
        { "[\"name\"]", "", 1, "must hold a JSON object" },
        { "{ \"name\": \"a\" }\n{ }", "", 2, "Additional text" },
        { "{\n  \"name\": \"a\",\n  \"plugin.esd\": {}\n}", "plugin.esd", 3, "is not a project field" },
        { "{\n  // a note\n  \"name\": \"a\"\n}", "", 2, "comments are not allowed" },
        { "{ \"name\": \"a\" }\n// trailing", "", 2, "comments are not allowed" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void MalformedFileIsRefusedWithFileLineAndField(string text, string field, int line, string problem)
    {
        using var temp = new TempFolder();
        File.WriteAllText(FileIn(temp.Path), text);

        var e = Assert.Throws<ProjectFileException>(() => ProjectFile.Read(temp.Path));

        Assert.Equal(FileIn(temp.Path), e.File);
        Assert.StartsWith(FileIn(temp.Path), e.Message);
        Assert.Equal(line, e.Line);
        Assert.NotNull(e.Position);
        Assert.Contains($"line {line}, position {e.Position}", e.Message);
        Assert.Equal(field.Length == 0 ? null : field, e.Field);
        if (field.Length > 0) Assert.Contains($"'{field}'", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Equal(text, File.ReadAllText(FileIn(temp.Path)));
    }

    [Fact]
    public void UnreadableFilesAreRefusedNamingTheFile()
    {
        using var temp = new TempFolder();
        var missing = Assert.Throws<ProjectFileException>(() => ProjectFile.Read(temp.Sub("nowhere")));
        Assert.Contains(Path.Combine(temp.Sub("nowhere"), ProjectFile.FileName), missing.Message);
        Assert.Contains("no project file", missing.Message);

        // Not UTF-8.
        var bytes = new byte[] { 0x7B, 0x22, 0x6E, 0x61, 0x6D, 0x65, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D };
        File.WriteAllBytes(FileIn(temp.Path), bytes);
        var binary = Assert.Throws<ProjectFileException>(() => ProjectFile.Read(temp.Path));
        Assert.Contains(FileIn(temp.Path), binary.Message);
        Assert.Contains("cannot be read", binary.Message);
        Assert.Equal(bytes, File.ReadAllBytes(FileIn(temp.Path)));

        // A folder where the file should be.
        var other = temp.Sub("other");
        Directory.CreateDirectory(Path.Combine(other, ProjectFile.FileName));
        var folder = Assert.Throws<ProjectFileException>(() => ProjectFile.Read(other));
        Assert.Contains(FileIn(other), folder.Message);
    }
}

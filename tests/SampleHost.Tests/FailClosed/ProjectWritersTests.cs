using System.Diagnostics;
using SampleHost.Projects;
using TestUtilities;

namespace SampleHost.Tests.FailClosed;

/// <summary>Concurrent editors of one project never lose each other's changes.</summary>
[Collection(HeavyTests.Name)]
public class ProjectWritersTests
{
    [Fact]
    public void TwoEditorsBlockingAtOnceKeepEveryEntry()
    {
        using var tmp = new TempFolder();
        var folder = ProjectService.Create(tmp.Sub("p"), new ProjectSettings("shared", null, [], null)).Folder;
        // Two services, as two processes have: each reads, changes and writes the file under its lock.
        var editors = Enumerable.Range(0, 2).Select(e => new Thread(() =>
        {
            var projects = new ProjectService();
            projects.Open(folder);
            for (int i = 0; i < 40; i++) Assert.True(projects.Block($"concept {e}-{i}"));
        })).ToList();
        editors.ForEach(t => t.Start());
        editors.ForEach(t => t.Join());
        Assert.Equal(80, ProjectFile.Read(folder).Blocklist.Count);
    }

    [Fact]
    public async Task TwoStudioProcessesBlockingAtOnceKeepEveryEntry()
    {
        using var tmp = new TempFolder();
        var folder = ProjectService.Create(tmp.Sub("p"), new ProjectSettings("shared", null, [], null)).Folder;
        // Each process blocks its concepts one command at a time, interleaved with the other's.
        var loops = Enumerable.Range(0, 2).Select(e => Task.Run(() =>
        {
            for (int i = 0; i < 6; i++)
            {
                var (code, _, stderr) = StudioProcess.Run("project", "block", folder, $"concept {e}-{i}");
                Assert.True(code == 0, stderr);
            }
        })).ToArray();
        await Task.WhenAll(loops);
        Assert.Equal(12, ProjectFile.Read(folder).Blocklist.Count);
    }
}

using Host.Abstractions;
using SampleHost.Commands;
using SampleHost.Cli;

namespace SampleHost.Tests.Cli;

public class ConsoleProgressTests
{
    private static readonly byte[] Png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];

    [Fact]
    public void LineShowsBarPercentAndMessage()
    {
        Assert.Equal("[###############---------------]  50% half way", ConsoleProgress.Line(new ProgressReport(0.5, "half way")));
        Assert.Equal("[------------------------------]   0%", ConsoleProgress.Line(new ProgressReport(-3, "")));
        Assert.Equal("[##############################] 100% done", ConsoleProgress.Line(new ProgressReport(7, "done")));
        Assert.Equal("[------------------------------]   0% x", ConsoleProgress.Line(new ProgressReport(double.NaN, "x")));
    }

    [Fact]
    public void RedirectedOutputGetsOneLinePerChange()
    {
        var output = new StringWriter();
        var progress = new ConsoleProgress(output, interactive: false);
        progress.Report(new ProgressReport(0.1, "a"));
        progress.Report(new ProgressReport(0.1, "a"));
        progress.Report(new ProgressReport(0.2, "b"));
        progress.Finish();
        Assert.Equal(2, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain('\r', output.ToString());
    }

    [Fact]
    public void TerminalRedrawsInPlaceAndEndsTheLine()
    {
        var output = new StringWriter();
        var progress = new ConsoleProgress(output, interactive: true);
        progress.Report(new ProgressReport(0.1, "a long message"));
        progress.Report(new ProgressReport(0.2, "b"));
        progress.Finish();
        var text = output.ToString();
        Assert.Equal(2, text.Count(c => c == '\r'));
        Assert.EndsWith(Environment.NewLine, text);
        // The shorter second line blanks out what remains of the first.
        var last = text.Split('\r')[^1].TrimEnd('\n', '\r');
        Assert.Equal(ConsoleProgress.Line(new ProgressReport(0.1, "a long message")).Length, last.Length);
    }

    [Fact]
    public void LatestPreviewIsSavedWhenAsked()
    {
        var dir = Directory.CreateTempSubdirectory("preview");
        try
        {
            var path = Path.Combine(dir.FullName, "p.png");
            var progress = new ConsoleProgress(TextWriter.Null, false, path);
            progress.Report(new ProgressReport(0.5, "a", Png));
            byte[] second = [.. Png, 9];
            progress.Report(new ProgressReport(1, "b", second));
            progress.Report(new ProgressReport(1, "c", [1, 2, 3])); // not a PNG: ignored

            Assert.Equal(second, File.ReadAllBytes(path));
            Assert.Equal(2, progress.PreviewsSaved);
            Assert.Equal(["p.png"], Directory.GetFiles(dir.FullName).Select(Path.GetFileName));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void PreviewsAreIgnoredWithoutAPath()
    {
        var output = new StringWriter();
        var progress = new ConsoleProgress(output, false);
        progress.Report(new ProgressReport(0.5, "a", Png));
        Assert.Equal(0, progress.PreviewsSaved);
        Assert.DoesNotContain("PNG", output.ToString());
    }
}

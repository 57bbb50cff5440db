using Host.Abstractions;
using Microsoft.Extensions.Logging;
using DiffusionEngine.IO;

namespace SampleHost.Cli;

/// <summary>
/// Draws command progress as a bar with a message on a text writer (stderr), redrawn in place on a terminal
/// and one line per change otherwise. Preview images are not shown; when <paramref name="previewPath"/> is set,
/// the latest one is saved there (replaced atomically, so a viewer never sees half a file).
/// Reports are handled synchronously, in the order they are made, from any thread.
/// </summary>
internal sealed class ConsoleProgress(TextWriter output, bool interactive, string? previewPath = null, ILogger? logger = null)
    : IProgress<ProgressReport>
{
    private const int BarWidth = 30;
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly object gate = new();
    private string? lastLine;
    private int drawnWidth;
    private bool previewProblemLogged;

    /// <summary>Number of previews saved to <c>previewPath</c>.</summary>
    public int PreviewsSaved { get; private set; }

    public void Report(ProgressReport value)
    {
        lock (gate)
        {
            var line = Line(value);
            if (line != lastLine)
            {
                if (interactive)
                {
                    output.Write('\r' + line.PadRight(drawnWidth));
                    drawnWidth = Math.Max(drawnWidth, line.Length);
                }
                else output.WriteLine(line);
                output.Flush();
                lastLine = line;
            }
            if (value.PreviewPng is { } png && previewPath is not null) SavePreview(png, previewPath);
        }
    }

    /// <summary>Ends the in-place line on a terminal so that what follows starts on its own line.</summary>
    public void Finish()
    {
        lock (gate)
        {
            if (interactive && drawnWidth > 0) output.WriteLine();
            drawnWidth = 0;
        }
    }

    internal static string Line(ProgressReport report)
    {
        var fraction = double.IsFinite(report.Fraction) ? Math.Clamp(report.Fraction, 0, 1) : 0;
        int filled = (int)Math.Round(fraction * BarWidth);
        int percent = (int)Math.Floor(fraction * 100);
        var bar = new string('#', filled) + new string('-', BarWidth - filled);
        var message = (report.Message ?? "").ReplaceLineEndings(" ");
        return $"[{bar}] {percent,3}% {message}".TrimEnd();
    }

    private void SavePreview(byte[] png, string path)
    {
        if (!png.AsSpan().StartsWith(PngSignature))
        {
            Warn("a preview is not a PNG image; not saved");
            return;
        }
        try
        {
            AtomicFile.WriteAllBytes(path, png);
            PreviewsSaved++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Warn($"could not save the preview to {path}: {e.Message}");
        }
    }

    private void Warn(string message)
    {
        if (previewProblemLogged) return;
        previewProblemLogged = true;
        logger?.LogWarning("{Problem}", message);
    }
}

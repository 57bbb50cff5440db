using System.Diagnostics;
using System.Text.RegularExpressions;
using TestUtilities;

namespace SampleHost.Web.Tests;

/// <summary>
/// `studio serve` in a process of its own, on a free port, with temporary data, outputs and projects folders, and a
/// models folder holding a copy of the bundled model (its ESD defaults short enough for a test's safe checkpoints).
/// </summary>
public sealed partial class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly TempFolder _folder;
    private readonly List<string> _output = [];

    private ServeProcess(Process process, TempFolder folder, string url) => (_process, _folder, Url) = (process, folder, url);

    public string Url { get; }
    public Uri BaseAddress => new(Url);
    public int Port => BaseAddress.Port;
    public string Root => _folder.Path;
    public string ModelsRoot => Path.Combine(_folder.Path, "models");
    public string DataFolder => Path.Combine(_folder.Path, "data");
    public string Output { get { lock (_output) return string.Join("\n", _output); } }

    /// <param name="safeIterations">The copied model's ESD iterations per concept (what a safe checkpoint needs).</param>
    public static ServeProcess Start(int safeIterations = 30, params string[] extra)
    {
        var folder = new TempFolder("studio-serve");
        using (var model = ModelCopies.WithEsdIterations(RepoPaths.BundledModel, safeIterations))
            CopyFolder(model.Path, Path.Combine(folder.Path, "models", "tiny-shapes"));
        var data = Directory.CreateDirectory(Path.Combine(folder.Path, "data")).FullName;
        var psi = StudioProcess.StartInfo(new Dictionary<string, string> { ["STUDIO_DATA_DIR"] = data, ["STUDIO_LOG_DIR"] = Path.Combine(data, "logs") },
            ["serve", "--port", "0", "--models", Path.Combine(folder.Path, "models"), "--outputs", Path.Combine(folder.Path, "outputs"),
             "--projects", Path.Combine(folder.Path, "projects"), .. extra]);
        var process = Process.Start(psi)!;
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        void OnLine(string? line)
        {
            if (line is null) { url.TrySetException(new InvalidOperationException("studio serve ended before serving:\n" + string.Join("\n", lines))); return; }
            lock (lines) lines.Add(line);
            if (UrlLine().Match(line) is { Success: true } m) url.TrySetResult(m.Groups[1].Value);
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!url.Task.Wait(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("studio serve printed no URL in 90 s:\n" + string.Join("\n", lines));
        }
        var serve = new ServeProcess(process, folder, url.Task.Result);
        lock (lines) serve._output.AddRange(lines);
        return serve;
    }

    public HttpClient Client() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        _folder.Dispose();
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [GeneratedRegex(@"studio is serving (http://\S+)")]
    private static partial Regex UrlLine();
}

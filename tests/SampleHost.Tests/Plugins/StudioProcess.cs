using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SampleHost.Tests.Plugins;

/// <summary>Runs the built studio.dll in a separate process with a chosen environment, as a user would.</summary>
internal static partial class StudioProcess
{
    public static string FreshDataFolder() => Directory.CreateTempSubdirectory("studio-data").FullName;

    public static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "studio.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["STUDIO_LOG_DIR"] = Path.Combine(Path.GetTempPath(), "studio-test-logs");
        psi.Environment.Remove("STUDIO_PLUGINS_DIR");
        psi.Environment.Remove("STUDIO_DISABLED_PLUGINS");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return psi;
    }

    /// <summary>Runs studio with STUDIO_PLUGINS_DIR at the fixture plugins (or no extra root when null).</summary>
    public static (int Code, string Stdout, string Stderr) Run(string? pluginsDir, params string[] args)
    {
        var env = new Dictionary<string, string> { ["STUDIO_DATA_DIR"] = FreshDataFolder() };
        if (pluginsDir is not null) env["STUDIO_PLUGINS_DIR"] = pluginsDir;
        using var p = Process.Start(StartInfo(env, args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"studio {string.Join(' ', args)} did not finish in 2 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Sends SIGINT, what Ctrl+C in a terminal sends.</summary>
    public static void Interrupt(Process process)
    {
        if (Kill(process.Id, 2) != 0) throw new InvalidOperationException($"kill -INT {process.Id} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TestUtilities;

/// <summary>Runs the built studio.dll (from its own output, plugins/ beside it) in a separate process, as a user would.</summary>
public static partial class StudioProcess
{
    public static string FreshDataFolder() => Directory.CreateTempSubdirectory("studio-data").FullName;

    public static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        if (!File.Exists(RepoPaths.StudioDll))
            throw new FileNotFoundException($"{RepoPaths.StudioDll} is not built (build the solution first)", RepoPaths.StudioDll);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(RepoPaths.StudioDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["STUDIO_LOG_DIR"] = Path.Combine(Path.GetTempPath(), "studio-test-logs");
        psi.Environment.Remove("STUDIO_PLUGINS_DIR");
        psi.Environment.Remove("STUDIO_DISABLED_PLUGINS");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return psi;
    }

    /// <summary>Runs studio with a fresh data folder and no extra plugin root.</summary>
    public static (int Code, string Stdout, string Stderr) Run(params string[] args) =>
        Run(new Dictionary<string, string> { ["STUDIO_DATA_DIR"] = FreshDataFolder() }, TimeSpan.FromMinutes(2), args);

    /// <summary>Runs studio with STUDIO_PLUGINS_DIR at <paramref name="pluginsDir"/> (none when null) and a fresh data folder.</summary>
    public static (int Code, string Stdout, string Stderr) RunWithPlugins(string? pluginsDir, params string[] args)
    {
        var env = new Dictionary<string, string> { ["STUDIO_DATA_DIR"] = FreshDataFolder() };
        if (pluginsDir is not null) env["STUDIO_PLUGINS_DIR"] = pluginsDir;
        return Run(env, TimeSpan.FromMinutes(2), args);
    }

    /// <summary>Runs studio with its data (and logs) in <paramref name="dataFolder"/>.</summary>
    public static (int Code, string Stdout, string Stderr) RunInData(string dataFolder, params string[] args) =>
        Run(new Dictionary<string, string> { ["STUDIO_DATA_DIR"] = dataFolder, ["STUDIO_LOG_DIR"] = Path.Combine(dataFolder, "logs") },
            TimeSpan.FromMinutes(5), args);

    public static (int Code, string Stdout, string Stderr) Run(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        using var p = Process.Start(StartInfo(environment, args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"studio {string.Join(' ', args)} did not finish in {timeout.TotalMinutes:F0} minutes");
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

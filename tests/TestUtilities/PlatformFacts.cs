using Xunit;

namespace TestUtilities;

/// <summary>A fact that needs Linux: elsewhere it reports Skipped with the reason, rather than passing without running.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute(string why)
    {
        if (!OperatingSystem.IsLinux()) Skip = $"needs Linux: {why}";
    }
}

/// <summary>A theory that needs Linux (see <see cref="LinuxFactAttribute"/>).</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute(string why)
    {
        if (!OperatingSystem.IsLinux()) Skip = $"needs Linux: {why}";
    }
}

/// <summary>
/// A fact that sends SIGINT to a child process: it needs Linux, and a test run that does not ignore SIGINT (a run
/// started in the background of a script, with nohup or `cmd &`, ignores it, and so does every child it starts).
/// </summary>
public sealed class SigintFactAttribute : FactAttribute
{
    public SigintFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux: sends SIGINT";
        else if (SigintIgnored()) Skip = "this test run ignores SIGINT (started in the background), so its children do too";
    }

    /// <summary>Whether this process ignores SIGINT (bit 2 of SigIgn in /proc/self/status).</summary>
    public static bool SigintIgnored()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << 1)) != 0;
    }
}

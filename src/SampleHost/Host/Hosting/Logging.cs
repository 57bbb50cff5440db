using Microsoft.Extensions.Logging;
using NLog;
using NLog.Config;
using NLog.Extensions.Logging;
using NLog.Targets;

namespace SampleHost.Hosting;

/// <summary>
/// NLog as the host's logging provider: warnings (or everything, with --verbose) to stderr so that a
/// verb's stdout stays machine-readable, and every message at Info and above to a rolling file.
/// </summary>
public static class Logging
{
    public static string LogFolder =>
        Environment.GetEnvironmentVariable("STUDIO_LOG_DIR") is { Length: > 0 } d ? d
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "studio", "logs");

    public static ILoggerFactory Create(bool verbose)
    {
        var config = new LoggingConfiguration();
        var console = new ConsoleTarget("console")
        {
            Layout = "${level:lowercase=true}: ${logger:shortName=true}: ${message}${onexception:inner= ${exception:format=message}}",
            StdErr = true,
        };
        var file = new FileTarget("file")
        {
            FileName = Path.Combine(LogFolder, "studio.log"),
            Layout = "${longdate} ${level:uppercase=true} ${logger} ${message}${onexception:inner=${newline}${exception:format=tostring}}",
            ArchiveAboveSize = 10 * 1024 * 1024,
            MaxArchiveFiles = 5,
            KeepFileOpen = false,
        };
        config.AddRule(verbose ? NLog.LogLevel.Debug : NLog.LogLevel.Warn, NLog.LogLevel.Fatal, console);
        config.AddRule(NLog.LogLevel.Info, NLog.LogLevel.Fatal, file);
        LogManager.Configuration = config;
        return LoggerFactory.Create(b => b.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace).AddNLog());
    }

    public static void Shutdown() => LogManager.Shutdown();
}

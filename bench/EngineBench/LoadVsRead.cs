using System.Diagnostics;
using DiffusionEngine.Safetensors;
using static TorchSharp.torch;

namespace EngineBench;

/// <summary>
/// Safetensors load time (memory-mapped, copied once into preallocated tensors) against a plain sequential
/// read of the same file, for a file of at least 1 GB. Each is timed with a cold page cache (where this
/// process may drop it: root on Linux) and warm.
/// </summary>
internal static class LoadVsRead
{
    public static int Run(Dictionary<string, string> options)
    {
        double gb = double.Parse(options.GetValueOrDefault("gb") ?? "1.2", System.Globalization.CultureInfo.InvariantCulture);
        string path = options.GetValueOrDefault("file") ?? Path.Combine(Path.GetTempPath(), "enginebench-load.safetensors");
        const long elements = 4L << 20; // 16 MB float32 tensors
        int count = (int)Math.Ceiling(gb * (1L << 30) / (elements * 4));
        if (!File.Exists(path) || new FileInfo(path).Length < (long)(gb * (1L << 30)))
        {
            Console.WriteLine($"writing {count} tensors of {elements * 4 >> 20} MB to {path}");
            var tensors = Enumerable.Range(0, count).ToDictionary(i => $"block.{i}.weight", _ => rand(elements));
            SafetensorsWriter.Write(path, tensors);
            foreach (var t in tensors.Values) t.Dispose();
        }
        long bytes = new FileInfo(path).Length;
        Console.WriteLine($"file {path}: {bytes / 1e9:F2} GB");

        using var f0 = SafetensorsFile.Open(path);
        var destinations = f0.Entries.Values.ToDictionary(e => e.Name, e => empty(e.Shape, e.Dtype));
        f0.Dispose();

        foreach (var cache in new[] { "cold", "warm" })
        {
            if (cache == "cold" && !DropPageCache()) { Console.WriteLine("cold: cannot drop the page cache here (needs root on Linux); skipped"); continue; }
            var read = Time(() =>
            {
                var buffer = new byte[16 << 20];
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                while (fs.Read(buffer, 0, buffer.Length) > 0) { }
            });
            if (cache == "cold") DropPageCache();
            var load = Time(() =>
            {
                using var f = SafetensorsFile.Open(path);
                foreach (var (name, dest) in destinations) f.CopyInto(name, dest);
            });
            Console.WriteLine($"{cache}: plain read {read:F2} s ({bytes / 1e9 / read:F2} GB/s); safetensors load into tensors {load:F2} s ({bytes / 1e9 / load:F2} GB/s); ratio {load / read:F2}");
        }
        foreach (var t in destinations.Values) t.Dispose();
        return 0;
    }

    private static double Time(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalSeconds;
    }

    private static bool DropPageCache()
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return false;
            Process.Start("sync")?.WaitForExit();
            File.WriteAllText("/proc/sys/vm/drop_caches", "3");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

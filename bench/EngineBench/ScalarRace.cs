using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace EngineBench;

/// <summary>
/// Reproduces a TorchSharp hazard that once killed a full <c>world train</c>: an implicitly converted Scalar
/// (here the <c>1</c> of <c>add_(1)</c>, as BatchNorm counts batches) is unreachable as soon as its handle is
/// passed to LibTorch, so when another thread's allocation starts a GC during the call, the finalizer can free the
/// Scalar while LibTorch reads it ("Expected false to be true ... toLong at c10/core/Scalar.h").
/// <c>--mode implicit</c> adds as BatchNorm does while a second thread allocates; <c>--mode held</c> passes Scalars
/// the caller keeps alive; <c>--mode quiet</c> adds implicitly with no other thread allocating, as the training
/// stages now run. Run it pinned to one core (<c>taskset -c 0</c>) to make the window wide.
/// </summary>
internal static class ScalarRace
{
    public static int Run(Dictionary<string, string> options)
    {
        var mode = options.GetValueOrDefault("mode", "implicit");
        if (mode is not ("implicit" or "held" or "quiet"))
        {
            Console.Error.WriteLine($"--mode: expected implicit, held or quiet, got '{mode}'");
            return 2;
        }
        long adds = long.Parse(options.GetValueOrDefault("adds", "3000000"));
        var stop = false;
        if (mode != "quiet")
            new Thread(() =>
            {
                var sink = new List<byte[]>();
                while (!Volatile.Read(ref stop))
                {
                    for (int i = 0; i < 1000; i++) sink.Add(new byte[256]);
                    if (sink.Count > 20_000) sink.Clear();
                }
            }) { IsBackground = true }.Start();

        using var counter = zeros(1, dtype: ScalarType.Int64);
        using Scalar one = 1;
        long failures = 0, succeeded = 0;
        int gcsBefore = GC.CollectionCount(0);
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < adds; i++)
        {
            try
            {
                if (mode == "held") counter.add_(one, one);
                else counter.add_(1);
                succeeded++;
            }
            catch (ExternalException e)
            {
                if (failures++ < 3) Console.WriteLine($"add {i}: {e.Message.Split('\n')[0]}");
            }
        }
        Volatile.Write(ref stop, true);
        long value = counter.item<long>();
        Console.WriteLine($"{mode}: {adds:N0} adds in {clock.Elapsed.TotalSeconds:F1} s, {GC.CollectionCount(0) - gcsBefore} GCs, " +
                          $"{failures} failed in LibTorch, counter {value:N0} (expected {succeeded:N0})");
        return failures == 0 && value == succeeded ? 0 : 1;
    }
}

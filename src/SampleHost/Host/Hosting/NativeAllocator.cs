using System.Runtime.InteropServices;

namespace SampleHost.Hosting;

/// <summary>
/// The process's C allocator settings. glibc raises its mmap threshold each time a large block is freed (up to
/// 32 MiB), so the tensors training allocates and frees every step end up on the heap, which keeps the freed memory:
/// on SD 1.5, ESD-x peaked 0.15 GiB higher (1.34x the U-Net instead of 1.29x, `EsdBench memory`). A fixed 1 MiB
/// threshold sends every block above it back to the system when freed; smaller blocks, most of a small model's,
/// stay on the heap as before.
/// </summary>
public static class NativeAllocator
{
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD in glibc's malloc.h
    private const int ThresholdBytes = 1 << 20;

    /// <summary>Applies the setting on Linux with glibc (elsewhere, or when MALLOC_MMAP_THRESHOLD_ is set, does nothing).</summary>
    public static void ReturnLargeBlocks()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null) return;
        try { mallopt(MmapThreshold, ThresholdBytes); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { } // not glibc (musl): its own rules
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}

using static TorchSharp.torch;

namespace DiffusionEngine.Layers;

/// <summary>
/// Where the engine's modules allocate their parameters while being built, as PyTorch's <c>with torch.device(...)</c>:
/// inside <c>using (ModuleBuild.On(new Device("meta")))</c> a U-Net or VAE is built without memory (parameter counts
/// of SDXL's 2.6 billion, inspection of a checkpoint's shapes). Per thread; null builds on the CPU.
/// </summary>
public static class ModuleBuild
{
    [ThreadStatic] private static Device? _device;

    /// <summary>The device modules built now allocate on (null: the default, the CPU).</summary>
    public static Device? Device => _device;

    public static IDisposable On(Device device)
    {
        var previous = _device;
        _device = device;
        return new Restore(previous);
    }

    private sealed class Restore(Device? previous) : IDisposable
    {
        public void Dispose() => _device = previous;
    }
}

using static TorchSharp.torch;

namespace SampleHost.LoadedModels;

/// <summary>
/// What makes a loaded model distinct: its folder (full path), the device it lives on and its compute dtype.
/// The same folder on another device or in another dtype is another copy.
/// </summary>
public sealed record ModelKey
{
    private ModelKey(string folder, string device, ScalarType dtype) => (Folder, Device, Dtype) = (folder, device, dtype);

    /// <summary>The model folder, as a full path without a trailing separator.</summary>
    public string Folder { get; }

    /// <summary>The device in torch's notation: "cpu", "cuda", "cuda:1".</summary>
    public string Device { get; }

    public ScalarType Dtype { get; }

    public Device TorchDevice => device(Device);

    public static ModelKey For(string folder, Device device, ScalarType dtype)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentNullException.ThrowIfNull(device);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        return new ModelKey(full, device.ToString(), dtype);
    }

    public override string ToString() => $"{Folder} ({Device}, {Dtype})";
}

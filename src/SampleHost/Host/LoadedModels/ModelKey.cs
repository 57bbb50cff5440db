using static TorchSharp.torch;

namespace SampleHost.LoadedModels;

/// <summary>
/// What makes a loaded model distinct: where it comes from (a diffusers folder, or a single-file checkpoint with the
/// folder of configs that describes it), the device it lives on and its compute dtype. The same model on another device
/// or in another dtype is another copy.
/// </summary>
public sealed record ModelKey
{
    private ModelKey(string folder, string? config, string device, ScalarType dtype) => (Folder, Config, Device, Dtype) = (folder, config, device, dtype);

    /// <summary>The model folder, or the single-file checkpoint, as a full path without a trailing separator.</summary>
    public string Folder { get; }

    /// <summary>For a single-file checkpoint: the configs folder (full path) its modules are built from; null for the family's published ones, and for a folder.</summary>
    public string? Config { get; }

    /// <summary>The device in torch's notation: "cpu", "cuda", "cuda:1".</summary>
    public string Device { get; }

    public ScalarType Dtype { get; }

    public Device TorchDevice => device(Device);

    /// <summary>Whether <see cref="Folder"/> names a single-file checkpoint rather than a folder.</summary>
    public bool IsSingleFile => File.Exists(Folder);

    /// <param name="folder">A diffusers model folder, or a single-file checkpoint (.safetensors).</param>
    /// <param name="config">Only for a single file: the diffusers folder whose configs describe it.</param>
    public static ModelKey For(string folder, Device device, ScalarType dtype, string? config = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentNullException.ThrowIfNull(device);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (config is not null && Directory.Exists(full))
            throw new ArgumentException($"{full}: a model folder has its own configs; a config folder applies to single-file checkpoints only", nameof(config));
        var fullConfig = config is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(config));
        return new ModelKey(full, fullConfig, device.ToString(), dtype);
    }

    public override string ToString() => $"{Folder}{(Config is null ? "" : $" with the configs of {Config}")} ({Device}, {Dtype})";
}

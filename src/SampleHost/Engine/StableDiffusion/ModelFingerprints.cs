using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace SampleHost.Engine.StableDiffusion;

/// <summary>The fingerprint of a model's base weights: SHA-256 over the U-Net's tensors (name, dtype, shape, bytes) in name order.</summary>
internal static class ModelFingerprints
{
    public static string Of(StableDiffusionModel model) =>
        Of(model.Unet.state_dict().Select(kv => (kv.Key, kv.Value)));

    public static string Of(IEnumerable<(string Name, Tensor Value)> tensors)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, value) in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"{name}|{value.dtype}|{string.Join(",", value.shape)}\n"));
            using var cpu = value.detach().cpu().contiguous();
            if (cpu.numel() > 0) sha.AppendData(cpu.bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

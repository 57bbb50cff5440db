using TorchSharp;

namespace SampleHost.Hosting;

/// <summary>
/// The compute device from configuration: the --device option, else STUDIO_DEVICE, else cpu.
/// "auto" takes CUDA when this build's LibTorch has it and a GPU is present.
/// </summary>
public static class TorchDevices
{
    public const string EnvironmentVariable = "STUDIO_DEVICE";

    public static torch.Device Resolve(string? requested)
    {
        var name = (requested ?? Environment.GetEnvironmentVariable(EnvironmentVariable) ?? "cpu").Trim().ToLowerInvariant();
        return name switch
        {
            "cpu" => torch.CPU,
            "auto" => torch.cuda.is_available() ? torch.CUDA : torch.CPU,
            _ when name.StartsWith("cuda", StringComparison.Ordinal) => torch.cuda.is_available()
                ? torch.device(name)
                : throw new ArgumentException($"device '{name}' was asked for, but this build's LibTorch has no CUDA or no GPU is present (build with -p:TorchDevice=cuda; see README)"),
            _ => throw new ArgumentException($"unknown device '{name}': expected cpu, cuda, cuda:N or auto"),
        };
    }
}

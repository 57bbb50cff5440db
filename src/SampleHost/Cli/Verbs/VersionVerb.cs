using SampleHost.Cli;
using SampleHost.Hosting;
using TorchSharp;

namespace SampleHost.Cli.Verbs;

internal static class VersionVerb
{
    public static Verb Create() => new()
    {
        Name = "version",
        Description = "Print the product version, TorchSharp and LibTorch versions, the device and torch's CPU threads.",
        Options = [new OptionSpec("device", "cpu, cuda, cuda:N or auto (default: $STUDIO_DEVICE, else cpu)")],
        Handler = (args, _) =>
        {
            var device = args.Device();
            Console.WriteLine($"studio {ProductInfo.ProductVersion}");
            Console.WriteLine($"TorchSharp {ProductInfo.TorchSharpVersion}");
            Console.WriteLine($"LibTorch {ProductInfo.LibTorchVersion}");
            Console.WriteLine($"device {device}");
            Console.WriteLine($"cuda available {torch.cuda.is_available()}");
            Console.WriteLine($"torch CPU threads {torch.get_num_threads()}");
            return Task.FromResult(0);
        },
    };
}

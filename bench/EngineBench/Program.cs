using System.Diagnostics;
using DiffusionEngine.Unet;
using TorchSharp;
using static TorchSharp.torch;

// Engine micro-benchmarks (not tests). Usage:
//   dotnet run -c Release --project bench/EngineBench -- unet-forward [--config PATH] [--latent N] [--batch N] [--runs N]
//   dotnet run -c Release --project bench/EngineBench -- load-vs-read [--gb G] [--file PATH]
//   dotnet run -c Release --project bench/EngineBench -- image-time [--model models/tiny-shapes] [--runs 5]
//   dotnet run -c Release --project bench/EngineBench -- scalar-race [--mode implicit|held|quiet] [--adds N]
// Any case takes --threads N (torch intra-op threads; default: one per core).
return EngineBench.Cli.Run(args);

namespace EngineBench
{
    internal static class Cli
    {
        public static int Run(string[] args)
        {
            if (args.Length == 0 || args[0] is "-h" or "--help")
            {
                Console.WriteLine("cases: unet-forward [--config PATH] [--latent N] [--runs N] | load-vs-read [--gb G] [--file PATH] | image-time [--model DIR] [--runs N] | scalar-race [--mode implicit|held|quiet] [--adds N]");
                return args.Length == 0 ? 2 : 0;
            }
            var options = ParseOptions(args.Skip(1).ToArray());
            // Tiny models spend more on spreading small ops over threads than they gain: let a run compare.
            if (options.TryGetValue("threads", out var threads)) set_num_threads(int.Parse(threads));
            switch (args[0])
            {
                case "unet-forward":
                    return UnetForward(options);
                case "load-vs-read":
                    return LoadVsRead.Run(options);
                case "image-time":
                    return ImageTime.Run(options);
                case "scalar-race":
                    return ScalarRace.Run(options);
                default:
                    Console.Error.WriteLine($"unknown case '{args[0]}' (known: unet-forward, load-vs-read, image-time, scalar-race)");
                    return 2;
            }
        }

        private static Dictionary<string, string> ParseOptions(string[] args)
        {
            var options = new Dictionary<string, string>();
            for (int i = 0; i + 1 < args.Length; i += 2)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"expected --option, got '{args[i]}'");
                options[args[i][2..]] = args[i + 1];
            }
            return options;
        }

        // The engine's product data, copied beside every assembly that uses it.
        private static string DefaultSd15UnetConfig() => Path.Combine(AppContext.BaseDirectory, "data", "sd15-configs", "unet", "config.json");

        /// <summary>Time per U-Net forward (batch 1 unless --batch), random weights, float32, CPU, no_grad; one warm-up, then the median.</summary>
        private static int UnetForward(Dictionary<string, string> options)
        {
            string configPath = Path.GetFullPath(options.GetValueOrDefault("config") ?? DefaultSd15UnetConfig());
            int latent = int.Parse(options.GetValueOrDefault("latent") ?? "64");
            int runs = int.Parse(options.GetValueOrDefault("runs") ?? "3");
            int batch = int.Parse(options.GetValueOrDefault("batch") ?? "1");

            var config = UNetConfig.Load(configPath);
            manual_seed(0);
            var build = Stopwatch.StartNew();
            using var unet = new UNet2DConditionModel(config);
            unet.eval();
            build.Stop();
            long parameters = unet.parameters().Sum(p => p.numel());
            Console.WriteLine($"config {configPath}");
            Console.WriteLine($"parameters {parameters:N0}; built in {build.Elapsed.TotalSeconds:F1} s; torch threads {get_num_threads()}");

            using var noGrad = no_grad();
            using var sample = randn(batch, config.InChannels, latent, latent);
            using var timestep = full([batch], 981L, int64);
            using var context = randn(batch, 77, config.CrossAttentionDim[0]);

            double Once()
            {
                using var scope = NewDisposeScope();
                var sw = Stopwatch.StartNew();
                var output = unet.forward(sample, timestep, context);
                _ = output.sum().item<float>();
                return sw.Elapsed.TotalSeconds;
            }

            double warm = Once();
            Console.WriteLine($"warm-up {warm:F2} s");
            var times = new List<double>();
            for (int i = 0; i < runs; i++)
            {
                times.Add(Once());
                if (runs <= 10) Console.WriteLine($"run {i + 1}: {times[^1]:F4} s");
            }
            times.Sort();
            double median = runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
            Console.WriteLine($"unet-forward latent {latent}x{latent} batch {batch} float32 CPU: median {median * 1000:F2} ms per forward ({runs} runs)");
            return 0;
        }
    }
}

using System.Diagnostics;
using EsdBench;
using EsdPlugin.Training;
using SampleHost.Plugins;

// ESD benchmarks. Usage:
//   dotnet run -c Release --project bench/EsdBench -- memory [--config PATH] [--method esd-x] [--iterations 3] [--latent 8] [--xt-from frozen] [--pool-size 32] [--dtype bfloat16]
//   dotnet run -c Release --project bench/EsdBench -- erase-time [--model models/tiny-shapes] [--concepts star]
//   dotnet run -c Release --project bench/EsdBench -- pairing [--model alpha] [--pairing paper|matched] [--ddim-steps 50] [--iterations 200]
//   dotnet run -c Release --project bench/EsdBench -- guard [--model alpha] [--deltas 200] [--runs 50]
//   dotnet run -c Release --project bench/EsdBench -- compose --parts A,B [--joint J] [--erased star,striped] [--model models/tiny-shapes]
//   dotnet run -c Release --project bench/EsdBench -- speed [--concepts star] [--variants "old:xt_refresh=0,pool_size=0,retain_pool_size=0,one_thread_small_calls=0;new:"] [--images-per-prompt 20]
//   dotnet run -c Release --project bench/EsdBench -- unet-speed [--config PATH] [--latent 64] [--batches 1,2] [--dtypes float32,bfloat16] [--backward yes]
//   dotnet run -c Release --project bench/EsdBench -- exports --delta FILE [--model models/tiny-shapes] [--concept star] [--ranks 4,8,16,32] [--out DIR]
if (args.Length == 0 || args[0] is not ("memory" or "erase-time" or "pairing" or "guard" or "exports" or "compose" or "unet-speed" or "speed"))
{
    Console.Error.WriteLine("usage: memory [--config PATH] [--method esd-x] [--iterations 3] [--latent 8] [--ddim-steps 2] [--xt-from trained|frozen] [--pool-size 32] [--dtype float32|bfloat16]\n" +
                            "       erase-time [--model DIR] [--concepts a,b]\n" +
                            "       pairing [--model DIR] [--pairing paper|matched] [--ddim-steps 50] [--iterations 200]\n" +
                            "       guard [--model DIR] [--deltas 200] [--runs 50]\n" +
                            "       compose --parts A,B [--joint J] [--erased star,striped] [--model DIR]\n" +
                            "       speed [--model DIR] [--concepts star] [--variants \"old:xt_refresh=0,pool_size=0,retain_pool_size=0,one_thread_small_calls=0;new:\"] [--images-per-prompt 20]\n" +
                            "       unet-speed [--config PATH] [--latent 64] [--batches 1,2] [--dtypes float32,bfloat16] [--runs 3] [--backward yes] [--matmul 4096]\n" +
                            "       exports --delta FILE [--model DIR] [--concept star] [--attribute shape] [--strengths 0,0.25,0.5,0.75,1] [--ranks 4,8,16,32] [--out DIR]");
    return 2;
}
var options = new Dictionary<string, string>();
for (int i = 1; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
if (args[0] == "erase-time") return EraseTime.Run(options);
if (args[0] == "pairing") return Pairing.Run(options);
if (args[0] == "guard") return GuardTime.Run(options);
if (args[0] == "exports") return ExportFigures.Run(options);
if (args[0] == "compose") return CompositionFigures.Run(options);
if (args[0] == "speed") return SpeedFigures.Run(options);
if (args[0] == "unet-speed") return UnetSpeed.Run(options);
string config = options.GetValueOrDefault("config") ?? Sd15Config();
var method = EsdMethods.Parse(options.GetValueOrDefault("method") ?? "esd-x");
int iterations = int.Parse(options.GetValueOrDefault("iterations") ?? "3");
int latent = int.Parse(options.GetValueOrDefault("latent") ?? "8");
int ddimSteps = int.Parse(options.GetValueOrDefault("ddim-steps") ?? "2");
var xtFrom = XtSources.Parse(options.GetValueOrDefault("xt-from") ?? "trained");
int poolSize = int.Parse(options.GetValueOrDefault("pool-size") ?? "32");
var dtype = (options.GetValueOrDefault("dtype") ?? "float32") switch
{
    "float32" => TorchSharp.torch.ScalarType.Float32, "bfloat16" => TorchSharp.torch.ScalarType.BFloat16, "float16" => TorchSharp.torch.ScalarType.Float16,
    var other => throw new ArgumentException($"--dtype: unknown dtype '{other}'"),
};

static double RssGiB(string field) =>
    File.ReadLines("/proc/self/status").Where(l => l.StartsWith(field + ":", StringComparison.Ordinal))
        .Select(l => long.Parse(l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0 / 1024.0).First();

using var model = new RandomUnetModel(config, latent, dtype);
GC.Collect();
double afterBuild = RssGiB("VmRSS");
Console.WriteLine($"config {config}");
Console.WriteLine($"latent {latent}x{latent}, {dtype}, x_t from {xtFrom.Name()}, pool size {poolSize}, {ddimSteps} DDIM steps");
Console.WriteLine($"U-Net: {model.ParameterBytes / 1073741824.0:F2} GiB; RSS after building {afterBuild:F2} GiB, peak so far {RssGiB("VmHWM"):F2} GiB");

var trainable = TrainableParameters.Select(model.Unet, method, model.Family);
long subset = trainable.Sum(t => t.Parameter.numel() * 4);
Console.WriteLine($"{method.Name()} trains {trainable.Count} tensors, {subset / 1073741824.0:F3} GiB ({100.0 * subset / model.ParameterBytes:F1}% of the U-Net)");

var trainer = new EsdTrainer(model, SafetensorsFiles.Instance);
var sw = Stopwatch.StartNew();
using var result = trainer.Train(new EsdSettings { Concepts = ["a concept"], Method = method, Iterations = iterations, DdimSteps = ddimSteps, LearningRate = 1e-5,
        XtFrom = xtFrom, PoolSize = poolSize, Pairing = TimestepPairing.Matched },
    resume: false, p => Console.WriteLine($"  {p.Describe()} ({sw.Elapsed.TotalSeconds:F1} s), RSS {RssGiB("VmRSS"):F2} GiB"), CancellationToken.None);
double peak = RssGiB("VmHWM");
double trainSeconds = sw.Elapsed.TotalSeconds;
Console.WriteLine($"training {trainSeconds:F1} s: pool filled in {result.PoolFilling.TotalSeconds:F1} s ({result.PoolBytes.Held / 1048576.0:F1} MiB), " +
                  $"{(trainSeconds - result.PoolFilling.TotalSeconds) / iterations:F2} s per iteration besides");
Console.WriteLine($"peak RSS {peak:F2} GiB = U-Net {model.ParameterBytes / 1073741824.0:F2} GiB + {peak - model.ParameterBytes / 1073741824.0:F2} GiB; " +
                  $"peak above the built model {peak - afterBuild:F2} GiB ({(peak - afterBuild) * 1073741824.0 / model.ParameterBytes:F2}x the U-Net); " +
                  $"a second U-Net would add {model.ParameterBytes / 1073741824.0:F2} GiB");
return 0;

// The engine's product data, copied beside every assembly that uses it.
static string Sd15Config() => Path.Combine(AppContext.BaseDirectory, "data", "sd15-configs", "unet", "config.json");

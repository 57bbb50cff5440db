using EsdPlugin.Training;
using SampleHost.Plugins;
using SampleHost.LoadedModels;
using static TorchSharp.torch;

namespace EsdBench;

/// <summary>
/// Prints, per k, how a short run pairs x_t with t: the DDIM steps it ran, the noise level x_t carries (its timestep and
/// sqrt(1 - alpha_cumprod)) and the t it trained at.
/// </summary>
internal static class Pairing
{
    public static int Run(Dictionary<string, string> options)
    {
        var folder = Path.GetFullPath(options.GetValueOrDefault("model") ?? Alpha());
        var pairing = TimestepPairings.Parse(options.GetValueOrDefault("pairing") ?? "paper");
        int steps = int.Parse(options.GetValueOrDefault("ddim-steps") ?? "50");
        int iterations = int.Parse(options.GetValueOrDefault("iterations") ?? "200");
        var model = StudioModel.Load(ModelKey.For(folder, CPU, ScalarType.Float32), CancellationToken.None);
        try
        {
            var settings = new EsdSettings { Concepts = ["a cat"], Method = EsdMethod.EsdX, Iterations = iterations, DdimSteps = steps, Pairing = pairing, Seed = 1 };
            var timesteps = model.Schedule.DdimTimesteps(steps);
            var alphas = model.Schedule.AlphasCumprod.data<float>().ToArray();
            var plans = new List<XtPlan>();
            using var result = new EsdTrainer(model, SafetensorsFiles.Instance).Train(settings, false, p => plans.Add(p.Plan), CancellationToken.None);
            Console.WriteLine($"model {folder}; pairing {pairing.Name()}; {steps} DDIM steps ({timesteps[0]} ... {timesteps[^1]}); {iterations} iterations");
            Console.WriteLine(" k | steps run (timesteps)  | x_t level: timestep  sqrt(1-a) | t trained (sqrt(1-a)) | |t - level| in DDIM steps");
            foreach (var group in plans.GroupBy(p => p.K).OrderBy(g => g.Key))
            {
                var plan = group.First();
                string run = plan.Count == 0 ? "0" : $"{plan.Count} ({timesteps[plan.First]}..{timesteps[plan.First + plan.Count - 1]})";
                double levelAlpha = plan.XtTimestep < 0 ? model.Schedule.FinalAlphaCumprod : alphas[plan.XtTimestep];
                long level = plan.XtTimestep < 0 ? 0 : plan.XtTimestep;
                var ts = group.Select(p => p.Timestep).Distinct().Order().ToList();
                Console.WriteLine($"{plan.K,2} | {run,-22} | {(plan.XtTimestep < 0 ? "final" : plan.XtTimestep.ToString()),8}  {Math.Sqrt(1 - levelAlpha),9:F4} | " +
                                  $"{string.Join(",", ts),-12} ({Math.Sqrt(1 - alphas[ts[0]]):F4}) | {ts.Max(t => Math.Abs(t - level)) * steps / 1000.0:F2}");
            }
            Console.WriteLine($"k values drawn: {plans.Select(p => p.K).Distinct().Count()} of {steps}");
            return 0;
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    private static string Alpha()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Plugins.sln")))
                return Path.Combine(d.FullName, "tests", "data", "reference", "alpha");
        throw new InvalidOperationException("Plugins.sln not found; pass --model");
    }
}

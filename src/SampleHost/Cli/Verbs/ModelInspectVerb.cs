using Newtonsoft.Json;
using SampleHost.Cli;
using DiffusionEngine.StableDiffusion;

namespace SampleHost.Cli.Verbs;

internal static class ModelInspectVerb
{
    public static Verb Create() => new()
    {
        Name = "model inspect",
        Description = "Check a model folder: per component its class, key config values, parameters, dtype, file size, and missing/unexpected/mismatched tensors. Exit 1 if any component does not match.",
        Arguments = [new ArgumentSpec("dir", "model folder (diffusers layout)")],
        Options = [new OptionSpec("json", "machine-readable output", IsFlag: true)],
        Handler = (args, _) =>
        {
            var components = ModelInspection.Inspect(args.Arg("dir"));
            if (args.Flag("json"))
                Console.WriteLine(ModelInspection.ToJson(components).ToString(Formatting.Indented));
            else
                foreach (var c in components)
                {
                    Console.WriteLine($"{c.Component}: {c.ClassName}, {c.Parameters:N0} parameters, {(c.Dtype is null ? "?" : ModelInspection.DtypeWord(c.Dtype))}, {c.FileBytes:N0} bytes");
                    foreach (var (k, v) in c.Config) Console.WriteLine($"  {k}: {JsonConvert.SerializeObject(v)}");
                    Console.WriteLine(c.Error is not null ? $"  error: {c.Error}" : $"  {c.Report.Describe(20)}");
                }
            bool ok = components.All(c => c.Error is null && c.Report.IsClean);
            if (!ok) Console.Error.WriteLine("error: the model folder does not match its configs (see above)");
            return Task.FromResult(ok ? 0 : 1);
        },
    };
}

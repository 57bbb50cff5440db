using Newtonsoft.Json;
using SampleHost.Cli;
using DiffusionEngine.StableDiffusion;

namespace SampleHost.Cli.Verbs;

internal static class ModelInspectVerb
{
    public static Verb Create() => new()
    {
        Name = "model inspect",
        Description = "Check a model folder or a single-file checkpoint: its layout and family, per component its class, key config values, parameters, dtype, file size, and missing/unexpected/mismatched tensors. Exit 1 if any component does not match.",
        Arguments = [new ArgumentSpec("dir", "model folder (diffusers layout) or single-file checkpoint (.safetensors, original layout)")],
        Options =
        [
            new OptionSpec("json", "machine-readable output", IsFlag: true),
            new OptionSpec("config", "for a single file: the diffusers folder whose configs describe it (default: Stable Diffusion 1.5's)"),
        ],
        Handler = (args, _) =>
        {
            var report = ModelInspection.Inspect(args.Arg("dir"), args.Get("config"));
            if (args.Flag("json"))
                Console.WriteLine(ModelInspection.ToJson(report).ToString(Formatting.Indented));
            else
            {
                Console.WriteLine($"{ConsoleText.Escape(report.Path)}: {report.Layout}, family {report.Family ?? "?"}" +
                    (report.ConfigFolder is null ? "" : $", configs from {ConsoleText.Escape(report.ConfigFolder)}"));
                foreach (var c in report)
                {
                    Console.WriteLine($"{c.Component}: {c.ClassName}, {c.Parameters:N0} parameters, {(c.Dtype is null ? "?" : ModelInspection.DtypeWord(c.Dtype))}, {c.FileBytes:N0} bytes");
                    foreach (var (k, v) in c.Config) Console.WriteLine($"  {k}: {JsonConvert.SerializeObject(v)}");
                    Console.WriteLine(c.Error is not null ? $"  error: {c.Error}" : $"  {c.Report.Describe(20)}");
                }
                if (report.Unexpected.Count > 0)
                    Console.WriteLine($"outside every component: unexpected tensors: {string.Join(", ", report.Unexpected.Take(20))}{(report.Unexpected.Count > 20 ? $", ... ({report.Unexpected.Count} in all)" : "")}");
                if (report.Ignored.Count > 0)
                    Console.WriteLine($"left alone: {report.Ignored.Count} tensors (the original code's buffers, EMA copies)");
            }
            if (!report.IsClean)
                Console.Error.WriteLine($"error: the {(report.Layout == ModelInspectionReport.SingleFile ? "single-file checkpoint" : "model folder")} does not match its configs (see above)");
            return Task.FromResult(report.IsClean ? 0 : 1);
        },
    };
}

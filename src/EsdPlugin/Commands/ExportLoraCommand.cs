using System.Globalization;
using EsdPlugin.Deltas;
using EsdPlugin.Lora;
using Host.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace EsdPlugin.Commands;

/// <summary>
/// <c>esd.export-lora</c>: a stored delta as a LoRA file other hosts load (A1111, ComfyUI): exact (the full difference
/// from the base as <c>diff</c> / <c>diff_b</c>) or compact (rank-r <c>lora_down</c> / <c>lora_up</c> / <c>alpha</c> by SVD,
/// with each layer's relative error reported).
/// </summary>
internal static class ExportLoraCommand
{
    public const string Id = "esd.export-lora";

    public static CommandDefinition Create(EsdServices services) => new()
    {
        Id = Id,
        Title = "Export as LoRA…",
        MenuPath = "Models/Export as LoRA…",
        Description = "Writes a stored delta as a LoRA file for A1111 and ComfyUI: exact (full differences, diff/diff_b) or compact (low rank by SVD, lora_down/lora_up/alpha).",
        Parameters =
        [
            new CommandParameter { Name = "delta", Kind = ParameterKind.Text, Required = true, Description = "delta name in the store, its stamp, or a delta file" },
            new CommandParameter { Name = "form", Kind = ParameterKind.Choice, Choices = ["compact", "exact"], Default = "compact", Description = "compact: low rank (small); exact: the full difference" },
            new CommandParameter { Name = "rank", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 4096, Default = 16L, Description = "compact: rank of Linear and 1x1 conv layers" },
            new CommandParameter { Name = "conv-rank", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 4096, Description = "compact: rank of 3x3 conv layers, which esd-u trains (default: --rank)" },
            new CommandParameter { Name = "out", Kind = ParameterKind.Path, Description = "file to write (default: exports/<delta>-lora-<form>.safetensors in the plugin's data folder)" },
            new CommandParameter { Name = "overwrite", Kind = ParameterKind.Flag, Default = false, Description = "replace an existing file" },
        ],
        Handler = inv => Run(services, inv),
    };

    private static async Task<CommandResult> Run(EsdServices services, CommandInvocation inv)
    {
        var delta = services.Store.Resolve(inv.Get<string>("delta"));
        var form = inv.Get<string>("form");
        int rank = (int)inv.Get<long>("rank");
        int convRank = inv.Arguments.GetValueOrDefault("conv-rank") is long c ? (int)c : rank;
        var suffix = form == "exact" ? "exact" : $"r{rank}" + (convRank != rank ? $"-c{convRank}" : "");
        var path = inv.Get<string?>("out") ?? Path.Combine(services.Context.DataFolder, "exports", $"{DeltaNames.FileNameOf(delta.Name)}-lora-{suffix}.safetensors");
        bool overwrite = inv.Get<bool>("overwrite");
        if (File.Exists(path) && !overwrite) throw new IOException($"{path} exists; pass --overwrite to replace it");

        using var lease = await services.Context.Models.AcquireAsync(LeaseMode.Shared, inv.Cancellation);
        var model = lease.Model;
        if (services.Store.MatchesBase(model, delta) != true)
            throw new InvalidDataException($"{delta.Path} was not made for the live model's base ({model.Folder}): a LoRA is its difference from that base");
        inv.Progress.Report(new ProgressReport(0, "reading the delta and the base"));
        var names = new LoraNames(model);
        using var contents = services.Context.TensorFiles.Read(delta.Path);
        var differences = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, edited) in contents.Tensors)
            {
                using var original = model.Patches.Original(name);
                using var e = edited.to(ScalarType.Float32);
                using var o = original.to(ScalarType.Float32);
                differences[name] = (e - o).contiguous();
            }
            inv.Cancellation.ThrowIfCancellationRequested();
            inv.Progress.Report(new ProgressReport(0.3, form == "exact" ? "writing the differences" : $"rank {rank} by SVD"));
            Dictionary<string, Tensor> tensors;
            List<LoraLayerError> errors = [];
            if (form == "exact") tensors = LoraExport.Exact(differences, names);
            else (tensors, errors) = LoraExport.Compact(differences, names, rank, convRank);
            try
            {
                var metadata = Metadata(delta, model, form, rank, convRank);
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                if (overwrite) services.Context.TensorFiles.Write(path, tensors, metadata);
                else services.Context.TensorFiles.WriteNew(path, tensors, metadata);
            }
            finally
            {
                foreach (var (key, t) in tensors) if (key.Contains(".lora_") || key.EndsWith(".alpha", StringComparison.Ordinal)) t.Dispose();
            }
            long bytes = new FileInfo(path).Length;
            var summary = errors.Count == 0
                ? $"{tensors.Count} tensors, the difference in full"
                : $"{errors.Count} low-rank layers: relative error mean {errors.Average(x => x.RelativeError):0.####}, worst {errors.Max(x => x.RelativeError):0.####} ({errors.MaxBy(x => x.RelativeError)!.Layer})";
            return new CommandResult($"wrote '{delta.Name}' as a {form} LoRA to {path} ({bytes / 1024.0:0.#} KB; {summary})", [path]);
        }
        finally
        {
            foreach (var t in differences.Values) t.Dispose();
        }
    }

    /// <summary>kohya's fields (A1111 reads the base model version from them) and ours (what was erased, from which base).</summary>
    private static Dictionary<string, string> Metadata(DeltaInfo delta, ILoadedModel model, string form, int rank, int convRank)
    {
        var m = new Dictionary<string, string>
        {
            ["ss_network_module"] = "networks.lora",
            ["ss_base_model_version"] = model.Family == "sdxl" ? "sdxl_base_v1-0" : "sd_v1",
            ["ss_v2"] = "False",
            ["ss_output_name"] = delta.Name,
            [LoraFile.ConceptsField] = string.Join(",", delta.Concepts),
            [LoraFile.BaseField] = model.Fingerprint,
            [LoraFile.FamilyField] = model.Family,
            ["esd_method"] = delta.Method ?? "unknown",
            ["esd_delta"] = delta.Name,
            ["esd_delta_stamp"] = delta.Stamp,
            ["esd_lora_form"] = form,
            ["esd_plugin_version"] = PluginInfo.Version,
        };
        if (form == "compact")
        {
            m["ss_network_dim"] = rank.ToString(CultureInfo.InvariantCulture);
            m["ss_network_alpha"] = rank.ToString(CultureInfo.InvariantCulture);
            m["ss_network_args"] = $"{{\"conv_dim\": \"{convRank}\", \"conv_alpha\": \"{convRank}\"}}";
        }
        return m;
    }
}

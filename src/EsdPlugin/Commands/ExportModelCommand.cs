using System.Globalization;
using EsdPlugin.Deltas;
using Host.Abstractions;
using Newtonsoft.Json;

namespace EsdPlugin.Commands;

/// <summary>
/// <c>esd.export-model</c>: a safe checkpoint to hand on: the base with a stored delta (or the live edit) baked in, as a
/// diffusers folder or one single-file .safetensors in the original layout, saying in its metadata what was erased, how,
/// from which base, and the delta's hash.
/// </summary>
internal static class ExportModelCommand
{
    public const string Id = "esd.export-model";

    public static CommandDefinition Create(EsdServices services) => new()
    {
        Id = Id,
        Title = "Export edited model…",
        MenuPath = "Models/Export edited model…",
        Description = "Writes the base model with an ESD edit baked in (a stored delta, or the live edit) as a diffusers folder or a single .safetensors file other hosts load.",
        Parameters =
        [
            new CommandParameter { Name = "delta", Kind = ParameterKind.TextList, Description = "stored deltas (names, stamps or files) to bake in, comma-separated (default: the live edit)" },
            new CommandParameter { Name = "strength", Kind = ParameterKind.TextList, Description = "strength: one for every delta or one per delta (default 1)" },
            new CommandParameter { Name = "format", Kind = ParameterKind.Choice, Choices = ["single-file", "diffusers"], Default = "single-file", Description = "single-file: one .safetensors (A1111, ComfyUI); diffusers: a model folder" },
            new CommandParameter { Name = "out", Kind = ParameterKind.Path, Description = "file or folder to write (default: exports/<model>-<edit> in the plugin's data folder)" },
            new CommandParameter { Name = "overwrite", Kind = ParameterKind.Flag, Default = false, Description = "replace an existing file or folder" },
        ],
        Handler = inv => Run(services, inv),
    };

    private static async Task<CommandResult> Run(EsdServices services, CommandInvocation inv)
    {
        using var lease = await services.Context.Models.AcquireAsync(LeaseMode.Shared, inv.Cancellation);
        var model = lease.Model;
        var names = inv.Get<IReadOnlyList<string>?>("delta");
        Composition composition;
        if (names is { Count: > 0 })
        {
            var strengths = LoadEditedModelCommand.Strengths(inv.Get<IReadOnlyList<string>?>("strength"), names.Count);
            composition = Composition.Of(names.Select((n, i) => new EditPart(services.Store.Resolve(n), strengths[i])).ToList());
        }
        else
        {
            composition = Blocklist.SafeCheckpoints.LiveEdit(services, model)
                ?? throw new InvalidOperationException(model.Patches.LiveStamp is null
                    ? "the live model carries no edit: name the deltas to bake in (--delta)"
                    : $"the live edit ({model.Patches.LiveStamp}) is not one this plugin made: name the deltas to bake in (--delta)");
        }
        if (composition.Parts.Any(p => p.Delta is null))
            throw new InvalidOperationException("a LoRA file cannot be baked into an exported model here; export its delta");
        foreach (var part in composition.Parts)
            if (services.Store.MatchesBase(model, part.Delta!) != true)
                throw new InvalidDataException($"{part.Path} was not made for the live model's base ({model.Folder})");

        bool single = inv.Get<string>("format") == "single-file";
        var edit = string.Join("+", composition.Parts.Select(p => DeltaNames.FileNameOf(p.Name)));
        var modelName = Path.GetFileNameWithoutExtension(model.Folder.TrimEnd(Path.DirectorySeparatorChar));
        var path = inv.Get<string?>("out") ?? Path.Combine(services.Context.DataFolder, "exports", $"{modelName}-{edit}" + (single ? ".safetensors" : ""));
        bool overwrite = inv.Get<bool>("overwrite");
        if ((File.Exists(path) || Directory.Exists(path)) && !overwrite) throw new IOException($"{path} exists; pass --overwrite to replace it");

        inv.Progress.Report(new ProgressReport(0, "reading the edit"));
        var contents = new List<TensorFileContents>();
        try
        {
            foreach (var part in composition.Parts) contents.Add(services.Context.TensorFiles.Read(part.Path));
            inv.Cancellation.ThrowIfCancellationRequested();
            inv.Progress.Report(new ProgressReport(0.2, "writing " + (single ? "the checkpoint" : "the model folder")));
            var parts = composition.Parts.Select((p, i) => new PatchPart(contents[i].Tensors, p.Strength)).ToList();
            model.Export(path, single ? ModelFileLayout.SingleFile : ModelFileLayout.DiffusersFolder, parts, Metadata(model, composition), overwrite);
        }
        finally
        {
            foreach (var c in contents) c.Dispose();
        }
        var concepts = composition.Parts.SelectMany(p => p.Concepts).Distinct().ToList();
        return new CommandResult($"wrote {model.Folder} with {composition.Describe()} (erases {string.Join(", ", concepts)}) baked in to {path}", [path]);
    }

    /// <summary>What was erased, how, from which base, and each delta's SHA-256 (A1111 shows a checkpoint's metadata).</summary>
    private static Dictionary<string, string> Metadata(ILoadedModel model, Composition composition) => new()
    {
        ["format"] = "esd-edited-model",
        ["esd_concepts"] = JsonConvert.SerializeObject(composition.Parts.SelectMany(p => p.Concepts).Distinct()),
        ["esd_methods"] = JsonConvert.SerializeObject(composition.Parts.Select(p => p.Delta!.Method ?? "unknown")),
        ["esd_deltas"] = JsonConvert.SerializeObject(composition.Parts.Select(p => new
        {
            name = p.Name, stamp = p.Stamp, sha256 = FileHash.Sha256(p.Path), strength = p.Strength, method = p.Delta!.Method,
            iterations = p.Delta.Metadata.GetValueOrDefault("iterations"), base_fingerprint = p.Delta.BaseFingerprint,
        })),
        ["esd_base_model"] = Path.GetFileName(model.Folder.TrimEnd(Path.DirectorySeparatorChar)),
        ["esd_base_fingerprint"] = model.Fingerprint,
        ["esd_family"] = model.Family,
        ["esd_plugin_version"] = PluginInfo.Version,
        ["created"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    };
}

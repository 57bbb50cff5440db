using EsdPlugin.Deltas;
using EsdPlugin.Lora;
using Host.Abstractions;
using Microsoft.Extensions.Logging;

namespace EsdPlugin.Commands;

/// <summary>
/// <c>esd.load-edited-model</c>: swaps deltas into the live model in place (no reload of the base), one or several
/// composed, each at a strength: weights = base + Σ strength · (delta − base).
/// </summary>
internal static class LoadEditedModelCommand
{
    public const string Id = "esd.load-edited-model";

    public static CommandDefinition Create(EsdServices services) => new()
    {
        Id = Id,
        Title = "Load edited model…",
        MenuPath = "Models/Load edited model…",
        Description = "Loads ESD deltas (by store name, stamp or file path) into the live model, restoring any earlier edit first; several are composed (their differences from the base summed), each at its strength.",
        Parameters =
        [
            new CommandParameter { Name = "delta", Kind = ParameterKind.TextList, Required = true, Description = "delta names in the store, stamps or .safetensors paths, comma-separated" },
            new CommandParameter { Name = "strength", Kind = ParameterKind.TextList, Description = "strength: one for every delta or one per delta, e.g. 0.5 or 1,0.5 (default 1; 0 is the base)" },
        ],
        Handler = async inv =>
        {
            var names = inv.Get<IReadOnlyList<string>>("delta");
            var strengths = Strengths(inv.Get<IReadOnlyList<string>?>("strength"), names.Count);
            var parts = names.Select((n, i) => Part(services, n, strengths[i])).ToList();
            var composition = Composition.Of(parts);
            using var lease = await services.Context.Models.AcquireAsync(LeaseMode.Exclusive, inv.Cancellation);
            var warnings = services.Load(lease.Model, composition);
            foreach (var w in warnings) services.Logger.LogWarning("{Warning}", w);
            services.StampLoadedForProject = null;
            var concepts = parts.SelectMany(p => p.Concepts).Distinct().ToList();
            var what = concepts.Count > 0 ? $" (erases {string.Join(", ", concepts)})" : "";
            int tensors = lease.Model.Patches.PatchedNames.Count;
            return new CommandResult(string.Join("\n", warnings.Select(w => "warning: " + w).Append(
                $"loaded {composition.Describe()}{what}: {tensors} tensors swapped in place, stamp {composition.Stamp}")), parts.Select(p => p.Path).ToList());
        },
    };

    /// <summary>A stored delta by name or stamp, a delta file, or a LoRA file (its tensors named lora_…).</summary>
    private static EditPart Part(EsdServices services, string nameOrPath, double strength)
    {
        var full = Path.GetFullPath(nameOrPath);
        if (File.Exists(full) && LoraFile.IsLora(services.Context.TensorFiles, full))
            return new EditPart(LoraFile.Open(services.Context.TensorFiles, full), strength);
        return new EditPart(services.Store.Resolve(nameOrPath), strength);
    }

    /// <summary>One strength per delta from "s" (all) or "s1,s2,..." (each); every one finite within ±<see cref="PatchPart.MaxStrength"/>.</summary>
    internal static double[] Strengths(IReadOnlyList<string>? given, int count)
    {
        if (given is null || given.Count == 0) return Enumerable.Repeat(1.0, count).ToArray();
        if (given.Count != 1 && given.Count != count)
            throw new ArgumentException($"--strength gives {given.Count} strengths for {count} deltas: give one for all, or one per delta");
        var values = given.Select(text =>
            double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && Math.Abs(v) <= PatchPart.MaxStrength
                ? v
                : throw new ArgumentException($"--strength expects numbers within ±{PatchPart.MaxStrength}, got '{text}'")).ToArray();
        return values.Length == 1 ? Enumerable.Repeat(values[0], count).ToArray() : values;
    }
}

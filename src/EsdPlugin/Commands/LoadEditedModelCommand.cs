using EsdPlugin.Deltas;
using Host.Abstractions;
using Microsoft.Extensions.Logging;

namespace EsdPlugin.Commands;

/// <summary><c>esd.load-edited-model</c>: swaps a delta into the live model in place (no reload of the base).</summary>
internal static class LoadEditedModelCommand
{
    public const string Id = "esd.load-edited-model";

    public static CommandDefinition Create(EsdServices services) => new()
    {
        Id = Id,
        Title = "Load edited model…",
        MenuPath = "Models/Load edited model…",
        Description = "Loads an ESD delta (by store name, stamp or file path) into the live model, restoring any earlier edit first.",
        Parameters = [new CommandParameter { Name = "delta", Kind = ParameterKind.Text, Required = true, Description = "delta name in the store, its stamp, or a .safetensors path" }],
        Handler = async inv =>
        {
            var delta = services.Store.Resolve(inv.Get<string>("delta"));
            using var lease = await services.Context.Models.AcquireAsync(LeaseMode.Exclusive, inv.Cancellation);
            var warnings = DeltaLoader.Load(lease.Model, services.Context.TensorFiles, delta);
            foreach (var w in warnings) services.Logger.LogWarning("{Warning}", w);
            services.StampLoadedForProject = null;
            var what = delta.Concepts.Count > 0 ? $" (erases {string.Join(", ", delta.Concepts)})" : "";
            return new CommandResult(string.Join("\n", warnings.Select(w => "warning: " + w).Append(
                $"loaded '{delta.Name}'{what}: {delta.Tensors.Count} tensors swapped in place, stamp {delta.Stamp}")), [delta.Path]);
        },
    };
}

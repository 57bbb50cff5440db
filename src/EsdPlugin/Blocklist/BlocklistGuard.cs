using Host.Abstractions;
using Microsoft.Extensions.Logging;

namespace EsdPlugin.Blocklist;

/// <summary>
/// Fails closed: in a project with a non-empty blocklist a generation runs only while the live weights carry a
/// verified delta covering every blocked concept. Before refusing it prepares what it can: it swaps in a stored
/// safe checkpoint for this base (so switching projects swaps the right one in), and for a project without a
/// blocklist it takes out a checkpoint it had swapped in for another project.
/// </summary>
internal sealed class BlocklistGuard(EsdServices services) : IBlocklistGuard
{
    public async Task<GuardDecision> CheckAsync(GenerationRequest request, CancellationToken cancellation)
    {
        var blocked = SafeCheckpoints.Blocked(request.Project);
        if (blocked.Count == 0)
        {
            if (services.StampLoadedForProject is { } stamp)
            {
                using var lease = await services.Context.Models.AcquireAsync(LeaseMode.Exclusive, cancellation);
                if (lease.Model.Patches.LiveStamp == stamp) lease.Model.Patches.Restore();
                services.StampLoadedForProject = null;
                return GuardDecision.Allow("restored the original weights (no concepts are blocked here)");
            }
            return GuardDecision.Allow();
        }

        using (var shared = await services.Context.Models.AcquireAsync(LeaseMode.Shared, cancellation))
            if (SafeCheckpoints.LiveCovers(services, shared.Model, blocked)) return GuardDecision.Allow();

        using (var exclusive = await services.Context.Models.AcquireAsync(LeaseMode.Exclusive, cancellation))
        {
            var model = exclusive.Model;
            if (SafeCheckpoints.LiveCovers(services, model, blocked)) return GuardDecision.Allow();
            var delta = SafeCheckpoints.Covering(SafeCheckpoints.ForBase(services, model), blocked);
            if (delta is not null)
            {
                Deltas.DeltaLoader.Load(model, services.Context.TensorFiles, delta);
                services.StampLoadedForProject = delta.Stamp;
                services.Logger.LogInformation("swapped in safe checkpoint {Name} for project {Project}", delta.Name, request.Project!.Name);
                return GuardDecision.Allow($"loaded safe checkpoint '{delta.Name}' (erases {string.Join(", ", delta.Concepts)})");
            }
        }
        return GuardDecision.Refuse(
            $"project '{request.Project!.Name}' blocks {ConceptNames.Describe(blocked)}, and the live model has no edit erasing them. " +
            $"Run: studio run esd.apply-blocklist --project \"{request.Project.Folder}\" --train-missing");
    }
}

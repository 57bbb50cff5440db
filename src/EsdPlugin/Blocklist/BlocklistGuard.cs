using Host.Abstractions;
using Microsoft.Extensions.Logging;

namespace EsdPlugin.Blocklist;

/// <summary>
/// Fails closed: in a project with a non-empty blocklist a generation runs only while the live weights carry a
/// safe checkpoint (<see cref="SafeCheckpoints"/>) covering every blocked concept. Before refusing it prepares what it
/// can: it swaps in a stored safe checkpoint for this base (so switching projects swaps the right one in), and for a
/// project without a blocklist it takes out a checkpoint it had swapped in for another project. A refusal offers
/// Apply concept blocklist (training the missing checkpoint) as its remedy.
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
            if (SafeCheckpoints.CoveringSet(SafeCheckpoints.ForBase(services, model), blocked) is { } parts)
            {
                var composition = Deltas.Composition.Of(parts.Select(d => new Deltas.EditPart(d)).ToList());
                services.Load(model, composition);
                services.StampLoadedForProject = composition.Stamp;
                services.Logger.LogInformation("swapped in safe checkpoint {Name} for project {Project}", composition.Describe(), request.Project!.Name);
                return GuardDecision.Allow($"loaded safe checkpoint {composition.Describe()} (erases {string.Join(", ", parts.SelectMany(d => d.Concepts).Distinct())})");
            }
            return Refusal(request.Project!, blocked, SafeCheckpoints.WhyShortOnesDoNotCount(services, model, blocked));
        }
    }

    /// <summary>The decision without preparing anything: allowed as is, allowed once a stored checkpoint is swapped in, or refused.</summary>
    public async Task<GuardDecision?> PreviewAsync(GenerationRequest request, CancellationToken cancellation)
    {
        var blocked = SafeCheckpoints.Blocked(request.Project);
        if (blocked.Count == 0) return GuardDecision.Allow("the project blocks nothing");
        using var shared = await services.Context.Models.AcquireAsync(LeaseMode.Shared, cancellation);
        var model = shared.Model;
        if (SafeCheckpoints.LiveCovers(services, model, blocked))
            return GuardDecision.Allow($"the live edit {SafeCheckpoints.LiveEdit(services, model)!.Describe()} erases {ConceptNames.Describe(blocked)}");
        if (SafeCheckpoints.CoveringSet(SafeCheckpoints.ForBase(services, model), blocked) is { } stored)
            return GuardDecision.Allow(stored.Count == 1
                ? $"the stored safe checkpoint '{stored[0].Name}' erases {ConceptNames.Describe(blocked)}; the next generation swaps it in"
                : $"the stored safe checkpoints {string.Join(" + ", stored.Select(d => $"'{d.Name}'"))} together erase {ConceptNames.Describe(blocked)}; the next generation swaps them in");
        return Refusal(request.Project!, blocked, SafeCheckpoints.WhyShortOnesDoNotCount(services, model, blocked));
    }

    private static GuardDecision Refusal(IProject project, IReadOnlyList<string> blocked, string? shortRuns) => GuardDecision.Refuse(
        $"project '{project.Name}' blocks {ConceptNames.Describe(blocked)}, and the live model has no edit erasing them" +
        (shortRuns is null ? "" : $" ({shortRuns})") + ". " +
        $"Run: studio run {Commands.ApplyBlocklistCommand.Id} --project \"{project.Folder}\" --train-missing",
        new CommandRequest(Commands.ApplyBlocklistCommand.Id, new Dictionary<string, string> { ["train-missing"] = "true" }));
}

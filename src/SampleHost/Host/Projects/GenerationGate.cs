using Host.Abstractions;
using SampleHost.Patches;
using SampleHost.LoadedModels;

namespace SampleHost.Projects;

/// <summary>
/// Admits one generation: asks the guards, then hands out a shared lease on the active model — but only
/// if the weights did not change from before the guards were asked until the lease was granted, so that
/// what runs is exactly what the guards approved. A guard may itself swap weights (under its own exclusive
/// lease); the weights then changed, and the guards are asked again, now finding them as they want.
/// </summary>
public sealed class GenerationGate(ProjectService projects, ModelCache models, int maxAttempts = 4)
{
    public async Task<GenerationTicket> AdmitAsync(IReadOnlyList<string> prompts, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var notes = new List<string>(); // a guard that prepared the weights says so on the attempt that changed them
        for (int attempt = 0; attempt < maxAttempts; attempt++)
        {
            var key = models.ActiveKey ?? throw new InvalidOperationException("no model is selected: the host has not chosen a model folder yet");
            long before;
            using (var peek = await models.AcquireAsync(key, LeaseMode.Shared, cancellation).ConfigureAwait(false))
                before = WeightsVersion(peek.Model);

            var decision = await projects.CheckGenerationAsync(new GenerationRequest(key.Folder, prompts, projects.Active), cancellation)
                .ConfigureAwait(false);
            if (!decision.Allowed) return GenerationTicket.Refused(decision.Message ?? "refused", decision.Remedy);
            if (decision.Message is { Length: > 0 } note && !notes.Contains(note)) notes.Add(note);

            var lease = await models.AcquireAsync(key, LeaseMode.Shared, cancellation).ConfigureAwait(false);
            if (models.ActiveKey == key && WeightsVersion(lease.Model) == before)
                return GenerationTicket.Admitted(lease, notes.Count > 0 ? string.Join(Environment.NewLine, notes) : null);
            lease.Dispose();
        }
        return GenerationTicket.Refused($"the model's weights kept changing while the generation guards were consulted ({maxAttempts} attempts); try again");
    }

    // Only the host's own patcher counts changes; for another implementation the live stamp is the best evidence.
    private static long WeightsVersion(ILoadedModel model) =>
        model.Patches is WeightPatcher patcher ? patcher.Version : (model.Patches.LiveStamp?.GetHashCode() ?? 0);
}

/// <summary>The gate's answer: refused with a message, or admitted with a shared lease to generate under (dispose it when done).</summary>
public sealed class GenerationTicket : IDisposable
{
    private GenerationTicket(bool allowed, string? message, ModelLease? lease, CommandRequest? remedy = null) =>
        (Allowed, Message, Lease, Remedy) = (allowed, message, lease, remedy);

    public bool Allowed { get; }

    /// <summary>Why it was refused, or notes from the guards that allowed it.</summary>
    public string? Message { get; }

    /// <summary>For a refusal: the command a guard offers as the way out, or null.</summary>
    public CommandRequest? Remedy { get; }

    /// <summary>The shared lease (null when refused).</summary>
    public ModelLease? Lease { get; }

    public static GenerationTicket Admitted(ModelLease lease, string? message) => new(true, message, lease);

    public static GenerationTicket Refused(string message, CommandRequest? remedy = null) => new(false, message, null, remedy);

    public void Dispose() => Lease?.Dispose();
}

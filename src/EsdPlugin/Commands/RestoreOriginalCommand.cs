using Host.Abstractions;

namespace EsdPlugin.Commands;

/// <summary><c>esd.restore-original</c>: puts the original weights back, bit for bit.</summary>
internal static class RestoreOriginalCommand
{
    public const string Id = "esd.restore-original";

    public static CommandDefinition Create(EsdServices services) => new()
    {
        Id = Id,
        Title = "Restore original model",
        MenuPath = "Models/Restore original model",
        Description = "Takes any loaded edit out of the live model, restoring its original weights exactly.",
        Handler = async inv =>
        {
            using var lease = await services.Context.Models.AcquireAsync(LeaseMode.Exclusive, inv.Cancellation);
            var stamp = lease.Model.Patches.LiveStamp;
            lease.Model.Patches.Restore();
            services.StampLoadedForProject = null;
            return new CommandResult(stamp is null ? "the original weights were already live" : $"restored the original weights (took out {stamp})");
        },
    };
}

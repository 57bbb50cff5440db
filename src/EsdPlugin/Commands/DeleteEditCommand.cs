using Host.Abstractions;

namespace EsdPlugin.Commands;

/// <summary><c>esd.delete-edit</c>: deletes a stored delta (never the one the live weights carry).</summary>
internal static class DeleteEditCommand
{
    public const string Id = "esd.delete-edit";

    public static CommandDefinition Create(EsdServices services) => new()
    {
        Id = Id,
        Title = "Delete stored edit…",
        MenuPath = "Models/Delete stored edit…",
        Description = "Deletes a delta from the plugin's store. The edit the live model carries must be restored first.",
        Parameters = [new CommandParameter { Name = "delta", Kind = ParameterKind.Text, Required = true, Description = "delta name in the store, or its stamp" }],
        Handler = async inv =>
        {
            var delta = services.Store.Resolve(inv.Get<string>("delta"));
            if (Path.GetDirectoryName(Path.GetFullPath(delta.Path)) != Path.GetFullPath(services.Store.Folder))
                throw new ArgumentException($"'{delta.Path}' is not in the plugin's store ({services.Store.Folder}); only stored deltas are deleted");
            // Under the exclusive lease: no guard may swap this delta in while it goes.
            using var lease = await services.Context.Models.AcquireAsync(LeaseMode.Exclusive, inv.Cancellation);
            if (lease.Model.Patches.LiveStamp == delta.Stamp)
                throw new InvalidOperationException($"'{delta.Name}' is the live edit; restore the original model first (studio run {RestoreOriginalCommand.Id})");
            File.Delete(delta.Path);
            services.Store.Forget(delta);
            return new CommandResult($"deleted '{delta.Name}' ({string.Join(", ", delta.Concepts)})");
        },
    };
}

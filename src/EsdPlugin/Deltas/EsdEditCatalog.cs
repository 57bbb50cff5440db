using System.Globalization;
using EsdPlugin.Blocklist;
using Host.Abstractions;

namespace EsdPlugin.Deltas;

/// <summary>The delta store as the host lists stored edits: load, delete, export (as a LoRA).</summary>
internal sealed class EsdEditCatalog(EsdServices services) : IEditCatalog
{
    public string EditParameter => "delta";
    public string LoadCommand => Commands.LoadEditedModelCommand.Id;
    public string? DeleteCommand => Commands.DeleteEditCommand.Id;
    public string? ExportCommand => Commands.ExportLoraCommand.Id;

    public IReadOnlyList<StoredEdit> List(ILoadedModel? model) =>
        services.Store.All().Select(d => Describe(d, model)).OrderByDescending(e => e.Created).ToList();

    public StoredEdit? FindByStamp(string stamp) => services.Store.FindByStamp(stamp) is { } d ? Describe(d, null) : null;

    private StoredEdit Describe(DeltaInfo d, ILoadedModel? model)
    {
        var created = d.Metadata.TryGetValue("created", out var text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var c)
            ? c : new DateTimeOffset(File.GetLastWriteTimeUtc(d.Path), TimeSpan.Zero);
        long bytes = File.Exists(d.Path) ? new FileInfo(d.Path).Length : 0;
        bool? fits = model is null ? null : services.Store.MatchesBase(model, d);
        bool safe = model is not null && SafeCheckpoints.IsSafeFor(services, model, d);
        return new StoredEdit(d.Name, d.Stamp, d.Concepts, d.Method ?? "unknown", d.Family, d.BaseFingerprint ?? "", created, bytes, fits, safe);
    }
}

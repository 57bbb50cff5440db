using EsdPlugin.Lora;

namespace EsdPlugin.Deltas;

/// <summary>
/// One edit of what the live model carries, at a strength (1: as trained): a stored delta (full edited weights) or a
/// LoRA file (differences). Only deltas can be safe checkpoints.
/// </summary>
internal sealed record EditPart
{
    public EditPart(DeltaInfo delta, double strength = 1) => (Delta, Strength) = (delta, strength);

    public EditPart(LoraFile lora, double strength = 1) => (Lora, Strength) = (lora, strength);

    public DeltaInfo? Delta { get; }
    public LoraFile? Lora { get; }
    public double Strength { get; }

    public string Name => Delta?.Name ?? Lora!.Name;
    public string Stamp => Delta?.Stamp ?? Lora!.Stamp;
    public string Path => Delta?.Path ?? Lora!.Path;
    public IReadOnlyList<string> Concepts => Delta?.Concepts ?? Lora!.Concepts;
}

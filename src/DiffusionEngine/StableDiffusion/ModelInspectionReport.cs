using System.Collections;

namespace DiffusionEngine.StableDiffusion;

/// <summary>
/// What <see cref="ModelInspection.Inspect"/> found: the components (enumerating the report gives them, as Inspect's list
/// did), the model's layout and family, and for a single file the tensors outside every component.
/// </summary>
public sealed class ModelInspectionReport : IReadOnlyList<ComponentInspection>
{
    public const string DiffusersFolder = "diffusers folder";
    public const string SingleFile = "single-file";

    /// <summary>The folder or file inspected, as a full path.</summary>
    public required string Path { get; init; }

    /// <summary><see cref="DiffusersFolder"/> or <see cref="SingleFile"/>.</summary>
    public required string Layout { get; init; }

    /// <summary>"sd1", "sdxl" (SingleFile.CheckpointFamilyNames), or null when a folder's pipeline class does not say.</summary>
    public string? Family { get; init; }

    /// <summary>For a single file: the folder whose configs the file was checked against.</summary>
    public string? ConfigFolder { get; init; }

    public required IReadOnlyList<ComponentInspection> Components { get; init; }

    /// <summary>For a single file: its tensors outside every component that loading would refuse.</summary>
    public IReadOnlyList<string> Unexpected { get; init; } = [];

    /// <summary>For a single file: its tensors that loading leaves alone (the original code's buffers, an EMA copy).</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];

    /// <summary>Every component built and matched its weights, and nothing unexpected is left over.</summary>
    public bool IsClean => Components.All(c => c.Error is null && c.Report.IsClean) && Unexpected.Count == 0;

    public int Count => Components.Count;
    public ComponentInspection this[int index] => Components[index];
    public IEnumerator<ComponentInspection> GetEnumerator() => Components.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

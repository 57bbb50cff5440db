namespace DiffusionEngine.SingleFile;

/// <summary>Where one diffusers tensor comes from in a single-file checkpoint: the file's tensor and the transform that makes it.</summary>
internal sealed record TensorSource(string Key, TensorTransform Transform)
{
    public static TensorSource Copied(string key) => new(key, new TensorTransform.Copy());

    public override string ToString() => Transform is TensorTransform.Copy ? Key : $"{Key} ({Transform.Describe()})";
}

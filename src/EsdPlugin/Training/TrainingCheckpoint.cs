using System.Globalization;
using Host.Abstractions;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>
/// A resumable snapshot of a run, in a folder of its own: the trained tensors and the iteration reached
/// (<c>student.safetensors</c>, metadata), and Adam's state (<c>optimizer.bin</c>). Written atomically: the
/// tensors file last, so a half-written checkpoint is never taken for a complete one.
/// </summary>
internal sealed class TrainingCheckpoint(string folder, ITensorFiles files)
{
    private string StudentPath => Path.Combine(folder, "student.safetensors");
    private string OptimizerPath => Path.Combine(folder, "optimizer.bin");

    public string Folder => folder;

    public bool Exists => File.Exists(StudentPath) && File.Exists(OptimizerPath);

    public void Save(int iteration, string runKey, IReadOnlyList<(string Name, Parameter Parameter)> trained, OptimizerHelper optimizer)
    {
        Directory.CreateDirectory(folder);
        var temp = OptimizerPath + ".tmp";
        optimizer.save_state_dict(temp);
        File.Move(temp, OptimizerPath, overwrite: true);
        files.Write(StudentPath, trained.ToDictionary(t => t.Name, t => (Tensor)t.Parameter),
            new Dictionary<string, string> { ["iteration"] = iteration.ToString(CultureInfo.InvariantCulture), ["run"] = runKey });
    }

    /// <summary>Loads the snapshot into the parameters and optimizer; returns the iteration reached, or null if it belongs to another run.</summary>
    public int? Load(string runKey, IReadOnlyList<(string Name, Parameter Parameter)> trained, OptimizerHelper optimizer)
    {
        if (!Exists) return null;
        using var contents = files.Read(StudentPath);
        if (!contents.Metadata.TryGetValue("run", out var key) || key != runKey) return null;
        using (no_grad())
            foreach (var (name, p) in trained)
            {
                if (!contents.Tensors.TryGetValue(name, out var t) || !t.shape.SequenceEqual(p.shape))
                    throw new InvalidDataException($"{StudentPath}: checkpoint lacks tensor '{name}' or its shape differs");
                p.copy_(t);
            }
        optimizer.load_state_dict(OptimizerPath);
        return int.Parse(contents.Metadata["iteration"], CultureInfo.InvariantCulture);
    }

    public void Delete()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }
}

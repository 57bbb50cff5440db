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

    /// <summary>Saves the masters (float32), the optimizer and the loss-scale state.</summary>
    public void Save(int iteration, string runKey, MasterWeights masters, OptimizerHelper optimizer)
    {
        Directory.CreateDirectory(folder);
        files.WriteAtomically(OptimizerPath, temp => optimizer.save_state_dict(temp));
        var (scale, goodSteps) = masters.ScaleState;
        files.Write(StudentPath, masters.Masters.ToDictionary(t => t.Name, t => (Tensor)t.Parameter), new Dictionary<string, string>
        {
            ["iteration"] = iteration.ToString(CultureInfo.InvariantCulture), ["run"] = runKey,
            ["loss_scale"] = scale.ToString("R", CultureInfo.InvariantCulture), ["good_steps"] = goodSteps.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Loads the snapshot into the parameters and optimizer; returns the iteration reached, or null if it belongs to another run.</summary>
    public int? Load(string runKey, MasterWeights masters, OptimizerHelper optimizer)
    {
        var trained = masters.Masters;
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
        masters.CopyToLive();
        optimizer.load_state_dict(OptimizerPath);
        if (contents.Metadata.TryGetValue("loss_scale", out var scale) && contents.Metadata.TryGetValue("good_steps", out var good))
            masters.RestoreScaleState(double.Parse(scale, CultureInfo.InvariantCulture), int.Parse(good, CultureInfo.InvariantCulture));
        return int.Parse(contents.Metadata["iteration"], CultureInfo.InvariantCulture);
    }

    public void Delete()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }
}

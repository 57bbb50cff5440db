using System.Globalization;
using Host.Abstractions;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>
/// A resumable snapshot of a run, in a folder of its own: Adam's state (<c>optimizer-&lt;iteration&gt;.bin</c>), then
/// the float32 masters with the iteration reached, the run's key and the optimizer file's name and SHA-256
/// (<c>student.safetensors</c>), written last. A kill at any moment leaves the previous snapshot or the new one whole:
/// the student file only names an optimizer file that is complete, and older ones go only after it moved on. A
/// snapshot whose iteration, run, files or tensors do not fit is refused by name, never resumed from or silently
/// replaced by a fresh start.
/// </summary>
internal sealed class TrainingCheckpoint(string folder, ITensorFiles files)
{
    private string StudentPath => Path.Combine(folder, "student.safetensors");

    private string OptimizerPath(int iteration) => Path.Combine(folder, $"optimizer-{iteration.ToString(CultureInfo.InvariantCulture)}.bin");

    public string Folder => folder;

    public bool Exists => File.Exists(StudentPath);

    /// <summary>
    /// Saves the masters (float32), the optimizer and the loss-scale state, and <paramref name="pool"/> (a pool of the
    /// trained model's trajectories, which a resumed run could not sample again) with its generation.
    /// </summary>
    public void Save(int iteration, string runKey, MasterWeights masters, OptimizerHelper optimizer, TrajectoryPool? pool = null)
    {
        Directory.CreateDirectory(folder);
        var optimizerPath = OptimizerPath(iteration);
        files.WriteAtomically(optimizerPath, temp => optimizer.save_state_dict(temp));
        var (scale, goodSteps) = masters.ScaleState;
        var tensors = masters.Masters.ToDictionary(t => t.Name, t => (Tensor)t.Parameter);
        var metadata = new Dictionary<string, string>
        {
            ["iteration"] = iteration.ToString(CultureInfo.InvariantCulture), ["run"] = runKey,
            ["optimizer"] = Path.GetFileName(optimizerPath), ["optimizer_sha256"] = FileHash.Sha256(optimizerPath),
            ["loss_scale"] = scale.ToString("R", CultureInfo.InvariantCulture), ["good_steps"] = goodSteps.ToString(CultureInfo.InvariantCulture),
        };
        if (pool is not null)
        {
            foreach (var (name, t) in pool.Tensors()) tensors[name] = t;
            metadata[$"pool_{pool.Name}_generation"] = pool.Generation.ToString(CultureInfo.InvariantCulture);
        }
        files.Write(StudentPath, tensors, metadata);
        foreach (var old in Directory.EnumerateFiles(folder, "optimizer-*.bin").Where(f => f != optimizerPath)) File.Delete(old);
    }

    /// <summary>
    /// Loads the snapshot into the masters (and live parameters), the optimizer and <paramref name="pool"/> (a trained-model
    /// pool saved with it); returns the iteration reached, or null when there is none. Throws <see cref="InvalidDataException"/>, naming the file and what does not fit.
    /// </summary>
    public int? Load(string runKey, int iterations, MasterWeights masters, OptimizerHelper optimizer, TrajectoryPool? pool = null)
    {
        if (!Exists) return null;
        using var contents = files.Read(StudentPath);
        var m = contents.Metadata;
        string Field(string name) => m.TryGetValue(name, out var v) ? v : throw Refused($"it lacks metadata field '{name}'");
        if (Field("run") != runKey) throw Refused("it belongs to another run (other settings, concepts or base)");
        if (!int.TryParse(Field("iteration"), NumberStyles.None, CultureInfo.InvariantCulture, out var iteration) || iteration < 1 || iteration >= iterations)
            throw Refused($"its iteration '{m["iteration"]}' does not fit a run of {iterations} iterations");
        var optimizerPath = Path.Combine(folder, Field("optimizer"));
        if (Path.GetDirectoryName(optimizerPath) != folder || !File.Exists(optimizerPath) || FileHash.Sha256(optimizerPath) != Field("optimizer_sha256"))
            throw Refused($"its optimizer state {m["optimizer"]} is missing or is not the one saved with it");
        var trained = masters.Masters;
        foreach (var (name, p) in trained)
            if (!contents.Tensors.TryGetValue(name, out var t) || !t.shape.SequenceEqual(p.shape))
                throw Refused($"it lacks tensor '{name}' or its shape differs");
        using (no_grad())
            foreach (var (name, p) in trained) p.copy_(contents.Tensors[name]);
        masters.CopyToLive();
        optimizer.load_state_dict(optimizerPath);
        if (m.TryGetValue("loss_scale", out var scale) && m.TryGetValue("good_steps", out var good))
            masters.RestoreScaleState(double.Parse(scale, CultureInfo.InvariantCulture), int.Parse(good, CultureInfo.InvariantCulture));
        if (pool is not null)
        {
            string field = $"pool_{pool.Name}_generation";
            if (!m.TryGetValue(field, out var g) || !int.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out var generation))
                throw Refused($"it lacks metadata field '{field}' (the trained model's trajectory pool)");
            pool.Restore(generation, contents.Tensors, StudentPath);
        }
        return iteration;
    }

    public void Delete()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    private InvalidDataException Refused(string why) =>
        new($"{StudentPath}: cannot resume from this checkpoint: {why}; delete {folder} to train from the start");
}

using System.Globalization;
using DiffusionEngine.IO;
using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ShapesWorld.Training;

/// <summary>
/// A resumable training stage's snapshot in <c>&lt;folder&gt;/</c>: per step, the modules' weights
/// (<c>&lt;module&gt;-&lt;step&gt;.safetensors</c>) and the optimizer's state (<c>optimizer-&lt;step&gt;.bin</c>), then
/// <c>step.txt</c> naming the step, written last. A kill at any moment leaves the previous snapshot or the new one
/// whole: step.txt only ever names a step whose files are all written, and older files go only after it moved on.
/// </summary>
public sealed class StageCheckpoint(string folder)
{
    private string StepPath => Path.Combine(folder, "step.txt");

    private string ModulePath(string name, int step) => Path.Combine(folder, $"{name}-{step.ToString(CultureInfo.InvariantCulture)}.safetensors");

    private string OptimizerPath(int step) => Path.Combine(folder, $"optimizer-{step.ToString(CultureInfo.InvariantCulture)}.bin");

    /// <summary>The step the snapshot reached, or null when there is none. A step file that is not a step is refused by name.</summary>
    public int? Step
    {
        get
        {
            if (!File.Exists(StepPath)) return null;
            var text = File.ReadAllText(StepPath).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step
                : throw new InvalidDataException($"{StepPath}: '{text}' is not a step number; delete {folder} to start the stage again");
        }
    }

    public void Save(int step, IReadOnlyDictionary<string, nn.Module> modules, optim.Optimizer optimizer)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, module) in modules)
            SafetensorsWriter.Write(ModulePath(name, step), module.state_dict());
        AtomicFile.WriteVia(OptimizerPath(step), temp => ((OptimizerHelper)optimizer).save_state_dict(temp));
        AtomicFile.WriteAllText(StepPath, step.ToString(CultureInfo.InvariantCulture));
        var keep = modules.Keys.Select(n => ModulePath(n, step)).Append(OptimizerPath(step)).Append(StepPath).ToHashSet();
        foreach (var old in Directory.EnumerateFiles(folder).Where(f => !keep.Contains(f) && (f.EndsWith(".safetensors") || f.EndsWith(".bin"))))
            File.Delete(old);
    }

    /// <summary>Loads the snapshot; a step whose files are missing or do not fit the modules is refused by name.</summary>
    public int Load(IReadOnlyDictionary<string, nn.Module> modules, optim.Optimizer optimizer, int totalSteps)
    {
        int step = Step ?? throw new InvalidOperationException($"{folder}: no checkpoint to resume");
        if (step < 1 || step >= totalSteps)
            throw new InvalidDataException($"{StepPath}: step {step} does not fit a stage of {totalSteps} steps; delete {folder} to start the stage again");
        foreach (var path in modules.Keys.Select(n => ModulePath(n, step)).Append(OptimizerPath(step)))
            if (!File.Exists(path))
                throw new InvalidDataException($"{folder}: the snapshot of step {step} lacks {Path.GetFileName(path)}; delete {folder} to start the stage again");
        foreach (var (name, module) in modules)
        {
            using var file = SafetensorsFile.Open(ModulePath(name, step));
            WeightLoader.Load(name, module, file);
        }
        ((OptimizerHelper)optimizer).load_state_dict(OptimizerPath(step));
        return step;
    }

    public void Delete()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, true);
    }
}

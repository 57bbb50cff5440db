using System.Globalization;
using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using DiffusionEngine.IO;

namespace ShapesWorld.Training;

/// <summary>
/// A resumable training stage's snapshot: the modules' weights, the optimizer's state and the step reached,
/// in <c>&lt;folder&gt;/</c>. The step file is written last, so a snapshot is complete when it names a step.
/// </summary>
public sealed class StageCheckpoint(string folder)
{
    private string StepPath => Path.Combine(folder, "step.txt");

    public int? Step => File.Exists(StepPath) ? int.Parse(File.ReadAllText(StepPath).Trim(), CultureInfo.InvariantCulture) : null;

    public void Save(int step, IReadOnlyDictionary<string, nn.Module> modules, optim.Optimizer optimizer)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, module) in modules)
            SafetensorsWriter.Write(Path.Combine(folder, name + ".safetensors"), module.state_dict());
        AtomicFile.WriteVia(Path.Combine(folder, "optimizer.bin"), temp => ((OptimizerHelper)optimizer).save_state_dict(temp));
        AtomicFile.WriteAllText(StepPath, step.ToString(CultureInfo.InvariantCulture));
    }

    public int Load(IReadOnlyDictionary<string, nn.Module> modules, optim.Optimizer optimizer)
    {
        int step = Step ?? throw new InvalidOperationException($"{folder}: no checkpoint to resume");
        foreach (var (name, module) in modules)
        {
            using var file = SafetensorsFile.Open(Path.Combine(folder, name + ".safetensors"));
            WeightLoader.Load(name, module, file);
        }
        ((OptimizerHelper)optimizer).load_state_dict(Path.Combine(folder, "optimizer.bin"));
        return step;
    }

    public void Delete()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, true);
    }
}

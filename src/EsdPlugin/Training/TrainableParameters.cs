using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>
/// The U-Net parameters a method trains, by diffusers name: weights and biases of its Linear and Conv2d modules, or
/// of every module for the original code's sets (<see cref="EsdMethods.IncludesNorms"/>).
/// </summary>
internal static class TrainableParameters
{
    /// <param name="family">The model family ("sd1", "sdxl"): a few of the authors' sets differ by family.</param>
    public static List<(string Name, Parameter Parameter)> Select(nn.Module unet, EsdMethod method, string family = "sd1")
    {
        var result = new List<(string, Parameter)>();
        foreach (var (moduleName, module) in unet.named_modules())
        {
            if (!method.IncludesNorms() && module is not (Linear or Conv2d)) continue;
            foreach (var (paramName, p) in module.named_parameters(recurse: false))
            {
                var full = moduleName.Length == 0 ? paramName : $"{moduleName}.{paramName}";
                if (method.Trains(full, family)) result.Add((full, p));
            }
        }
        if (result.Count == 0)
            throw new InvalidOperationException($"method {method.Name()} selects no parameters of this U-Net (does it use diffusers names?)");
        return result;
    }
}

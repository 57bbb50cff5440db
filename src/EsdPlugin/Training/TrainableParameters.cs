using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>The U-Net parameters a method trains: weights and biases of its Linear and Conv2d modules, by diffusers name.</summary>
internal static class TrainableParameters
{
    public static List<(string Name, Parameter Parameter)> Select(nn.Module unet, EsdMethod method)
    {
        var result = new List<(string, Parameter)>();
        foreach (var (moduleName, module) in unet.named_modules())
        {
            if (module is not (Linear or Conv2d)) continue;
            foreach (var (paramName, p) in module.named_parameters(recurse: false))
            {
                var full = moduleName.Length == 0 ? paramName : $"{moduleName}.{paramName}";
                if (method.Trains(full)) result.Add((full, p));
            }
        }
        if (result.Count == 0)
            throw new InvalidOperationException($"method {method.Name()} selects no parameters of this U-Net (does it use diffusers names?)");
        return result;
    }
}

using System.Reflection;
using TorchSharp;

namespace SampleHost.Hosting;

/// <summary>Versions of the product and of the torch stack it runs on.</summary>
public static class ProductInfo
{
    public static string ProductVersion => Informational(typeof(ProductInfo).Assembly);

    public static string TorchSharpVersion => Informational(typeof(torch).Assembly);

    public static string LibTorchVersion => torch.__version__;

    private static string Informational(Assembly a)
    {
        var v = a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? a.GetName().Version?.ToString() ?? "unknown";
        int plus = v.IndexOf('+');
        return plus > 0 ? v[..plus] : v;
    }
}

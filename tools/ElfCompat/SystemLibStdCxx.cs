using System.Runtime.InteropServices;

namespace ElfCompat;

/// <summary>Finds the libstdc++ the dynamic loader will use and the GLIBCXX versions it defines.</summary>
public static class SystemLibStdCxx
{
    public const string SoName = "libstdc++.so.6";

    public static string? Locate()
    {
        string triple = RuntimeInformation.OSArchitecture switch
        {
            Architecture.Arm64 => "aarch64-linux-gnu",
            _ => "x86_64-linux-gnu",
        };
        string[] dirs = [$"/lib/{triple}", $"/usr/lib/{triple}", "/lib64", "/usr/lib64", "/lib", "/usr/lib"];
        return dirs.Select(d => System.IO.Path.Combine(d, SoName)).FirstOrDefault(File.Exists);
    }

    /// <summary>The version names the library defines (GLIBCXX_3.4, ..., CXXABI_1.3, ...).</summary>
    public static HashSet<string> Versions(string path) => [.. ElfImage.Load(path).Definitions];
}

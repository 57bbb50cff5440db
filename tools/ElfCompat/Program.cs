using ElfCompat;

// elf-compat patch <dir> <file-name>...   : patch every named library under <dir> (recursively)
// elf-compat needs <file>                 : list a library's version needs
if (args.Length >= 2 && args[0] == "needs")
{
    try
    {
        foreach (var n in ElfImage.Load(args[1]).Needs)
            Console.WriteLine($"{n.Library} {n.Version} index={n.Index} flags=0x{n.Flags:x}{(n.IsWeak ? " (weak)" : "")}");
        return 0;
    }
    catch (ElfFormatException e) { Console.Error.WriteLine($"error: {e.Message}"); return 1; }
}

if (args.Length < 3 || args[0] != "patch")
{
    Console.Error.WriteLine("usage: elf-compat patch <dir> <library-file-name>... | elf-compat needs <file>");
    return 2;
}

if (!OperatingSystem.IsLinux()) return 0;
string? system = SystemLibStdCxx.Locate();
if (system is null)
{
    Console.Error.WriteLine($"error: {SystemLibStdCxx.SoName} not found in the usual library folders; cannot tell which GLIBCXX versions this system provides.");
    return 1;
}

try
{
    var provided = SystemLibStdCxx.Versions(system);
    var names = args.Skip(2).ToHashSet();
    if (!Directory.Exists(args[1])) return 0;
    foreach (var file in Directory.EnumerateFiles(args[1], "*", SearchOption.AllDirectories).Where(f => names.Contains(Path.GetFileName(f))))
    {
        var outcome = VersionNeedPatcher.Patch(file, provided);
        if (outcome == PatchOutcome.Patched)
            Console.WriteLine($"elf-compat: made the libstdc++ version needs that {system} lacks weak in {file}");
    }
    return 0;
}
catch (ElfFormatException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

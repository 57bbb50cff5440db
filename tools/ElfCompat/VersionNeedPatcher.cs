namespace ElfCompat;

/// <summary>What the patcher did to one file.</summary>
public enum PatchOutcome { NothingMissing, AlreadyWeak, Patched }

/// <summary>
/// Marks a library's need on a libstdc++ symbol version weak when the system lacks that version and
/// every symbol bound to it is known to be harmless when unresolved. GCC 13's &lt;iostream&gt; makes
/// binaries reference std::ios_base_library_init() (GLIBCXX_3.4.32) only to force a newer
/// libstdc++; no relocation uses it, so a weak need lets the loader proceed on GCC 12's library.
/// </summary>
public static class VersionNeedPatcher
{
    /// <summary>Symbols whose version need may be weakened: referenced for versioning only.</summary>
    public static readonly IReadOnlySet<string> HarmlessSymbols = new HashSet<string> { "_ZSt21ios_base_library_initv" };

    /// <summary>The needs on <paramref name="library"/> versions that <paramref name="provided"/> lacks.</summary>
    public static IReadOnlyList<VersionNeed> MissingNeeds(ElfImage image, string library, IReadOnlySet<string> provided) =>
        image.Needs.Where(n => n.Library == library && !provided.Contains(n.Version)).ToList();

    /// <summary>
    /// Patches <paramref name="path"/> so that each need the system lacks is weak. The patched bytes are written
    /// to a temporary file beside it and renamed over it: a new inode, so a hard link into the NuGet cache is
    /// never written through. Throws <see cref="ElfFormatException"/> where a missing version is used by a
    /// symbol that is not known to be harmless.
    /// </summary>
    public static PatchOutcome Patch(string path, IReadOnlySet<string> provided)
    {
        var image = ElfImage.Load(path);
        var missing = MissingNeeds(image, SystemLibStdCxx.SoName, provided);
        if (missing.Count == 0) return PatchOutcome.NothingMissing;
        var toPatch = missing.Where(n => !n.IsWeak).ToList();
        if (toPatch.Count == 0) return PatchOutcome.AlreadyWeak;

        foreach (var need in toPatch)
        {
            var users = image.SymbolsUsing(need.Index);
            var harmful = users.Where(s => !HarmlessSymbols.Contains(s.Name)).Select(s => s.Name).ToList();
            if (harmful.Count > 0)
                throw new ElfFormatException(path,
                    $"needs {need.Version} from {need.Library}, which this system lacks, for symbols that are really used " +
                    $"({string.Join(", ", harmful.Take(5))}); making that need weak would crash at run time. Install a newer libstdc++ (GCC 13+).");
        }

        var bytes = (byte[])image.Bytes.Clone();
        foreach (var need in toPatch)
        {
            ushort flags = (ushort)(need.Flags | VersionNeed.WeakFlag);
            bytes[need.FlagsOffset] = (byte)(flags & 0xff);
            bytes[need.FlagsOffset + 1] = (byte)(flags >> 8);
        }

        string temp = path + ".patching-" + Environment.ProcessId;
        try
        {
            File.WriteAllBytes(temp, bytes);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(temp, File.GetUnixFileMode(path));
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return PatchOutcome.Patched;
    }
}

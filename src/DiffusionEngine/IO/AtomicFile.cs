namespace DiffusionEngine.IO;

/// <summary>
/// Writes a file whole or not at all: the content goes to a hidden temporary file in the same folder (so the rename
/// cannot cross file systems), is flushed to disk, then renamed over the target. A reader sees the old file or the
/// new one, never a half-written one; a failed write leaves the target as it was and removes the temporary file.
/// </summary>
public static class AtomicFile
{
    /// <summary>Temporary files of this helper end so (".name.&lt;random&gt;.tmp"), for clean-ups of crashed writers.</summary>
    public const string TempSuffix = ".tmp";

    /// <summary>Writes through a stream.</summary>
    /// <param name="overwrite">false: refuse (IOException) when <paramref name="path"/> exists, checked at the rename.</param>
    public static void Write(string path, Action<Stream> write, bool overwrite = true) =>
        WriteVia(path, temp =>
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            write(stream);
        }, overwrite);

    public static void WriteAllText(string path, string text, bool overwrite = true) =>
        Write(path, s =>
        {
            using var writer = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true);
            writer.Write(text);
        }, overwrite);

    public static void WriteAllBytes(string path, byte[] bytes, bool overwrite = true) => Write(path, s => s.Write(bytes), overwrite);

    /// <summary>
    /// For writers that only take a path (TorchSharp's save_state_dict, image encoders): <paramref name="write"/> writes
    /// the temporary file it is given; it is then flushed to disk and renamed into place.
    /// </summary>
    public static void WriteVia(string path, Action<string> write, bool overwrite = true)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            write(temp);
            using (var flush = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                flush.Flush(flushToDisk: true);
            File.Move(temp, full, overwrite);
        }
        finally
        {
            try { if (File.Exists(temp)) File.Delete(temp); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Renames a folder built beside <paramref name="target"/> (on the same file system) onto it. With
    /// <paramref name="overwrite"/> an existing target is first moved aside and deleted only once the new one is in
    /// place; without it an existing target is refused with an <see cref="IOException"/>.
    /// </summary>
    public static void MoveFolderIntoPlace(string built, string target, bool overwrite)
    {
        var full = Path.GetFullPath(target);
        string? aside = null;
        if (Directory.Exists(full) || File.Exists(full))
        {
            if (!overwrite) throw new IOException($"{full} exists; pass --overwrite to replace it");
            if (File.Exists(full)) throw new IOException($"{full} is a file; a folder cannot replace it");
            aside = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.old-{Guid.NewGuid():N}");
            Directory.Move(full, aside);
        }
        try
        {
            Directory.Move(built, full);
        }
        catch
        {
            if (aside is not null) Directory.Move(aside, full);
            throw;
        }
        if (aside is not null) Directory.Delete(aside, recursive: true);
    }

    /// <summary>How long a temporary file goes unwritten before it counts as a crashed writer's leftover.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Deletes temporary files (<c>*.tmp</c>) a killed writer left in <paramref name="folder"/> (and below, when
    /// <paramref name="recursive"/>): those not written for <see cref="StaleAfter"/> or <paramref name="olderThan"/>, so a
    /// write in progress elsewhere is never touched. Returns how many went; a file that cannot be deleted is left.
    /// </summary>
    public static int RemoveStale(string folder, bool recursive, TimeSpan? olderThan = null)
    {
        if (!Directory.Exists(folder)) return 0;
        var cutoff = DateTime.UtcNow - (olderThan ?? StaleAfter);
        int removed = 0;
        IEnumerable<string> candidates;
        try { candidates = Directory.EnumerateFiles(folder, "*" + TempSuffix, recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
        foreach (var temp in candidates)
        {
            try
            {
                if (File.GetLastWriteTimeUtc(temp) > cutoff) continue;
                File.Delete(temp);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }
}

namespace SampleHost.Web.Security;

/// <summary>
/// The folders requests may name (models, outputs, projects, the studio's data). Every path from a request is resolved
/// against them, following symbolic links, and refused when it lands outside all of them.
/// </summary>
public sealed class WebRoots
{
    private readonly IReadOnlyList<(string Name, string Path)> _roots;

    public WebRoots(params (string Name, string Path)[] roots) =>
        _roots = roots.Select(r => (r.Name, Normalize(r.Path))).ToList();

    public IEnumerable<(string Name, string Path)> All => _roots;

    public string Root(string name) => _roots.First(r => r.Name == name).Path;

    /// <summary>
    /// The full path of <paramref name="requested"/> (relative ones against <paramref name="relativeTo"/>'s root), or a
    /// <see cref="PathOutsideRootsException"/> when it, or what a link in it points to, is outside every root.
    /// </summary>
    public string Resolve(string requested, string relativeTo)
    {
        if (string.IsNullOrWhiteSpace(requested) || requested.Contains('\0'))
            throw new PathOutsideRootsException(requested, "an empty path or one with a NUL character");
        var full = Normalize(Path.IsPathRooted(requested) ? requested : Path.Combine(Root(relativeTo), requested));
        if (Owner(full) is null) throw new PathOutsideRootsException(requested, Describe());
        var target = RealPath(full);
        if (Owner(target) is null) throw new PathOutsideRootsException(requested, Describe() + $" (it leads to {target})");
        return full;
    }

    /// <summary>Whether <paramref name="path"/> (already full) and whatever it links to lie inside a root.</summary>
    public bool Contains(string path) => Owner(Normalize(path)) is not null && Owner(RealPath(Normalize(path))) is not null;

    /// <summary>The root a full path lies in, or null.</summary>
    public string? Owner(string full) =>
        _roots.FirstOrDefault(r => full == r.Path || full.StartsWith(r.Path + Path.DirectorySeparatorChar, StringComparison.Ordinal)).Name;

    /// <summary><paramref name="full"/> relative to its root, with the root's name: what the page shows and sends back.</summary>
    public string Relative(string full, string root) => Path.GetRelativePath(Root(root), full).Replace(Path.DirectorySeparatorChar, '/');

    private string Describe() => "inside the studio's folders (" + string.Join(", ", _roots.Select(r => $"{r.Name}: {r.Path}")) + ")";

    private static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    /// <summary>The path with every existing link along it followed (the part that does not exist yet kept as is).</summary>
    private static string RealPath(string full)
    {
        var existing = full;
        var rest = new Stack<string>();
        while (!File.Exists(existing) && !Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            rest.Push(Path.GetFileName(existing));
            existing = parent;
        }
        string resolved = existing;
        try
        {
            FileSystemInfo info = File.Exists(existing) ? new FileInfo(existing) : new DirectoryInfo(existing);
            resolved = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? existing;
            // Links in the parents: the real path of the parent folder, then this name.
            if (Path.GetDirectoryName(resolved) is { } dir && dir.Length > 0)
                resolved = Path.Combine(RealDirectory(dir), Path.GetFileName(resolved));
        }
        catch (IOException) { }
        foreach (var part in rest) resolved = Path.Combine(resolved, part);
        return Normalize(resolved);
    }

    private static string RealDirectory(string dir)
    {
        var parts = Normalize(dir).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = Path.GetPathRoot(dir) ?? "/";
        foreach (var part in parts)
        {
            current = Path.Combine(current, part);
            try
            {
                if (new DirectoryInfo(current).ResolveLinkTarget(returnFinalTarget: true) is { } target)
                    current = Normalize(Path.IsPathRooted(target.FullName) ? target.FullName : Path.Combine(Path.GetDirectoryName(current)!, target.FullName));
            }
            catch (IOException) { }
        }
        return current;
    }
}

/// <summary>A request named a path outside the studio's folders.</summary>
public sealed class PathOutsideRootsException(string path, string expected)
    : Exception($"the path '{path}' is refused: it must be {expected}");

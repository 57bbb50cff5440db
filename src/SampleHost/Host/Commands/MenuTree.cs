namespace SampleHost.Commands;

/// <summary>Builds the menu tree from the host's items and the registered commands' menu paths, and prints it.</summary>
public static class MenuTree
{
    public static MenuNode Build(IEnumerable<HostMenuItem> hostItems, IEnumerable<RegisteredCommand> commands)
    {
        var root = new MenuNode("");
        foreach (var item in hostItems)
            Add(root, item.MenuPath, label => new MenuNode(label) { HostItem = item });
        foreach (var command in commands)
            Add(root, command.Definition.MenuPath, label => new MenuNode(label) { Command = command });
        root.Children.Sort(CompareTopLevel);
        return root;
    }

    private static void Add(MenuNode root, string path, Func<string, MenuNode> item)
    {
        var segments = path.Split('/', StringSplitOptions.TrimEntries);
        var node = root;
        foreach (var menu in segments[..^1])
        {
            var next = node.Children.FirstOrDefault(c => !c.IsItem && c.Label == menu);
            if (next is null) node.Children.Add(next = new MenuNode(menu));
            node = next;
        }
        node.Children.Add(item(segments[^1]));
    }

    private static int CompareTopLevel(MenuNode a, MenuNode b)
    {
        static int Rank(MenuNode n)
        {
            int i = HostMenu.TopLevelOrder.ToList().IndexOf(n.Label);
            int help = HostMenu.TopLevelOrder.Count - 1;
            // Unknown menus sit just before Help.
            return i < 0 ? help * 2 - 1 : i * 2;
        }
        int byRank = Rank(a).CompareTo(Rank(b));
        return byRank != 0 ? byRank : string.CompareOrdinal(a.Label, b.Label);
    }

    /// <summary>One line per menu and item; items show how to run them from the command line.</summary>
    public static void Render(MenuNode root, TextWriter output, string programName)
    {
        var lines = new List<(string Left, string Right)>();
        void Walk(MenuNode node, int depth)
        {
            foreach (var child in node.Children)
            {
                var left = new string(' ', depth * 2) + child.Label;
                if (child.Command is { } c) lines.Add((left, $"{programName} run {c.Id}   (plugin {c.Owner})"));
                else if (child.HostItem is { } h) lines.Add((left, $"{programName} {h.Verb}"));
                else
                {
                    lines.Add((left, ""));
                    Walk(child, depth + 1);
                }
            }
        }
        Walk(root, 0);
        int width = lines.Count == 0 ? 0 : lines.Max(l => l.Left.Length) + 3;
        foreach (var (left, right) in lines)
            output.WriteLine(right.Length == 0 ? left : left.PadRight(width) + right);
    }
}

namespace SampleHost.Commands;

/// <summary>
/// A node of the menu tree: a menu with children, or an item that runs a plugin command (<see cref="Command"/>)
/// or a host verb (<see cref="HostItem"/>).
/// </summary>
public sealed class MenuNode(string label)
{
    public string Label { get; } = label;
    public List<MenuNode> Children { get; } = [];
    public RegisteredCommand? Command { get; init; }
    public HostMenuItem? HostItem { get; init; }
    public bool IsItem => Command is not null || HostItem is not null;

    /// <summary>Every item under this node, depth first.</summary>
    public IEnumerable<MenuNode> Items() =>
        Children.SelectMany(c => c.IsItem ? [c] : c.Items());
}

namespace SampleHost.Commands;

/// <summary>The host's own menu items and the order of its top-level menus.</summary>
public static class HostMenu
{
    public static readonly IReadOnlyList<HostMenuItem> Items =
    [
        new("File/Generate…", "generate"),
        new("Models/Inspect model…", "model inspect"),
        new("Project/New project…", "project new"),
    ];

    /// <summary>Top-level menus in display order; menus plugins add go between Tools and Help, by name.</summary>
    public static readonly IReadOnlyList<string> TopLevelOrder = ["File", "Models", "Project", "Tools", "Help"];
}

namespace SampleHost.Commands;

/// <summary>A menu item of the host itself: its menu path and the studio verb that does it.</summary>
public sealed record HostMenuItem(string MenuPath, string Verb);

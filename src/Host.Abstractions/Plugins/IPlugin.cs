namespace Host.Abstractions;

/// <summary>
/// A plugin's entry point. The host creates one instance (public parameterless constructor) of the type
/// named by the manifest's <c>entryType</c>, or the single implementation in the entry assembly.
/// </summary>
public interface IPlugin
{
    /// <summary>Registers the plugin's commands, guards and event handlers. An exception here marks the plugin malfunctioned.</summary>
    void Register(IPluginContext context);
}

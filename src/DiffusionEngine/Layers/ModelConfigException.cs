namespace DiffusionEngine.Layers;

/// <summary>A model's config.json is missing, malformed, or asks for something this engine does not build.</summary>
public sealed class ModelConfigException(string message) : Exception(message);

namespace SampleHost.Engine.Layers;

/// <summary>A model's config.json is missing, malformed, or asks for something this engine does not build.</summary>
internal sealed class ModelConfigException(string message) : Exception(message);

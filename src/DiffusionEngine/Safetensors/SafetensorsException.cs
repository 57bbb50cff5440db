namespace DiffusionEngine.Safetensors;

/// <summary>A safetensors file is malformed: the message names the file (and tensor) and what was expected. An IOException, so
/// that whatever handles an unreadable file handles a malformed one too.</summary>
public sealed class SafetensorsException(string message) : IOException(message);

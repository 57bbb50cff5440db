namespace DiffusionEngine.Safetensors;

/// <summary>A safetensors file is malformed: the message names the file (and tensor) and what was expected.</summary>
public sealed class SafetensorsException(string message) : Exception(message);

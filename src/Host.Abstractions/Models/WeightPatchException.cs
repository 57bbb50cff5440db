namespace Host.Abstractions;

/// <summary>A weight patch does not fit the model; nothing was changed.</summary>
public sealed class WeightPatchException(string message) : Exception(message);

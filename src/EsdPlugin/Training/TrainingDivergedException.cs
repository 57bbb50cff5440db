namespace EsdPlugin.Training;

/// <summary>A run's loss or weights stopped being finite: it failed, and nothing was written.</summary>
internal sealed class TrainingDivergedException(string message) : InvalidOperationException(message);

namespace Host.Abstractions;

/// <summary>How a model is borrowed.</summary>
public enum LeaseMode
{
    /// <summary>Reading: generation and evaluation. Many at once.</summary>
    Shared,
    /// <summary>Changing weights: training, patching, restoring. Alone.</summary>
    Exclusive,
}

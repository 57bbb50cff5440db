using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>What a finished run produced: the trained tensors (CPU, base dtype) and the fingerprint of the originals they replace.</summary>
internal sealed class EsdResult(Dictionary<string, Tensor> trained, string baseFingerprint, float finalLoss, int iterations) : IDisposable
{
    public IReadOnlyDictionary<string, Tensor> Trained { get; } = trained;
    public string BaseFingerprint { get; } = baseFingerprint;
    public float FinalLoss { get; } = finalLoss;
    public int Iterations { get; } = iterations;
    /// <summary>fp16 steps skipped because their scaled gradients overflowed (0 otherwise).</summary>
    public int SkippedSteps { get; init; }
    /// <summary>The iteration a resumed run continued from (null: it ran from the start).</summary>
    public int? ResumedFrom { get; init; }
    /// <summary>Bytes the trajectory pools held (their tensors), and the bound stated before the run (prompts x trajectories x steps x latent).</summary>
    public (long Held, long Bound) PoolBytes { get; init; }
    /// <summary>Of the training time, what filling the trajectory pools took.</summary>
    public TimeSpan PoolFilling { get; init; }

    public void Dispose()
    {
        foreach (var t in Trained.Values) t.Dispose();
    }
}

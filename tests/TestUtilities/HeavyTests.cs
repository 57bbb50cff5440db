using static TorchSharp.torch;

namespace TestUtilities;

/// <summary>
/// The collection of heavy tests (training, process launches): one at a time, never beside another collection, with a
/// fixed torch thread count, so they neither starve each other nor change results with the machine. Each test project
/// declares it (xunit wants the definition in the test assembly):
/// <code>[CollectionDefinition(HeavyTests.Name, DisableParallelization = true)] public sealed class Heavy : ICollectionFixture&lt;FixedTorchThreads&gt;;</code>
/// and heavy classes carry <c>[Collection(HeavyTests.Name)]</c>.
/// </summary>
public static class HeavyTests
{
    public const string Name = "heavy: training and processes, one at a time";
}

/// <summary>Sets torch's intra-op thread count to <see cref="Count"/> for the heavy collection.</summary>
public sealed class FixedTorchThreads
{
    public const int Count = 2;

    public FixedTorchThreads() => set_num_threads(Count);
}

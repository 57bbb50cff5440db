using TestUtilities;

namespace ShapesWorld.Tests;

/// <summary>This assembly's heavy tests (see <see cref="HeavyTests"/>).</summary>
[CollectionDefinition(HeavyTests.Name, DisableParallelization = true)]
public sealed class HeavyCollection : ICollectionFixture<FixedTorchThreads>;

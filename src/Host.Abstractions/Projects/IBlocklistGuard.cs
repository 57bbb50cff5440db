namespace Host.Abstractions;

/// <summary>
/// A generation guard that enforces project blocklists. A host refuses every generation in a project whose blocklist
/// is not empty unless at least one such guard is registered: no guard, no generation. Added in contract 2.0.
/// </summary>
public interface IBlocklistGuard : IGenerationGuard;

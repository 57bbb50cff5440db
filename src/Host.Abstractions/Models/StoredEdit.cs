namespace Host.Abstractions;

/// <summary>
/// One stored edit of a model's weights (e.g. an ESD delta) as a host lists it. Added in contract 2.1.
/// </summary>
/// <param name="Name">What the user types to name it (e.g. <c>--delta star-esd-x</c>).</param>
/// <param name="Stamp">The stamp its weights carry once applied (<see cref="IWeightPatches.LiveStamp"/>).</param>
/// <param name="Concepts">What it erases.</param>
/// <param name="Method">How it was made (e.g. <c>esd-x</c>).</param>
/// <param name="Family">The model family it was made for (<c>sd1</c>, <c>sdxl</c>).</param>
/// <param name="BaseFingerprint">The fingerprint of the original weights it replaces.</param>
/// <param name="Created">When it was made.</param>
/// <param name="Bytes">Its size on disk.</param>
/// <param name="FitsModel">Whether it was made for the model the catalog was asked about (null: not asked, or unknown).</param>
/// <param name="SafeCheckpoint">Whether a project's blocklist accepts it (e.g. trained here, at full length).</param>
public sealed record StoredEdit(
    string Name, string Stamp, IReadOnlyList<string> Concepts, string Method, string Family, string BaseFingerprint,
    DateTimeOffset Created, long Bytes, bool? FitsModel, bool SafeCheckpoint);

namespace Host.Abstractions;

/// <summary>A progress update: how far (0..1), what is happening, and optionally a PNG preview.</summary>
public sealed record ProgressReport(double Fraction, string Message, byte[]? PreviewPng = null);

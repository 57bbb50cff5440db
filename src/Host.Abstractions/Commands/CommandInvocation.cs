namespace Host.Abstractions;

/// <summary>One run of a command: validated arguments, a progress sink and a cancellation token.</summary>
public sealed class CommandInvocation
{
    /// <summary>Every declared parameter by name: the given or default value (null where neither).</summary>
    public required IReadOnlyDictionary<string, object?> Arguments { get; init; }

    /// <summary>Where long work reports progress.</summary>
    public required IProgress<ProgressReport> Progress { get; init; }

    /// <summary>Signalled when the user cancels; handlers stop promptly and leave everything as it was.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>The value of a parameter converted to <typeparamref name="T"/>.</summary>
    public T Get<T>(string name)
    {
        if (!Arguments.TryGetValue(name, out var value))
            throw new ArgumentException($"the command has no parameter '{name}'", nameof(name));
        return value switch
        {
            T typed => typed,
            null => default!,
            _ => (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}

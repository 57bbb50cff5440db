namespace Host.Abstractions;

/// <summary>A guard's answer: allowed, or refused with a message for the user.</summary>
public sealed record GuardDecision(bool Allowed, string? Message)
{
    /// <summary>Let the generation run.</summary>
    public static GuardDecision Allow(string? message = null) => new(true, message);

    /// <summary>Refuse it; <paramref name="message"/> says why and what to do.</summary>
    public static GuardDecision Refuse(string message) => new(false, message);
}

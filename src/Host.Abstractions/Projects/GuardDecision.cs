namespace Host.Abstractions;

/// <summary>A guard's answer: allowed, or refused with a message for the user (and, since 2.1, the command that would fix it).</summary>
public sealed record GuardDecision(bool Allowed, string? Message)
{
    /// <summary>For a refusal: the command that makes the generation allowed (e.g. train the missing safe checkpoint), or null.</summary>
    public CommandRequest? Remedy { get; init; }

    /// <summary>Let the generation run.</summary>
    public static GuardDecision Allow(string? message = null) => new(true, message);

    /// <summary>Refuse it; <paramref name="message"/> says why and what to do.</summary>
    public static GuardDecision Refuse(string message) => new(false, message);

    /// <summary>Refuse it, offering <paramref name="remedy"/> as the way out.</summary>
    public static GuardDecision Refuse(string message, CommandRequest? remedy) => new(false, message) { Remedy = remedy };
}

namespace Host.Abstractions;

/// <summary>A project: a folder with its settings and concept blocklist.</summary>
public interface IProject
{
    /// <summary>Display name.</summary>
    string Name { get; }

    /// <summary>The project's folder.</summary>
    string Folder { get; }

    /// <summary>The base model folder the project generates with, if set.</summary>
    string? BaseModel { get; }

    /// <summary>Concepts this project must never generate (as written by the user, e.g. "star").</summary>
    IReadOnlyList<string> Blocklist { get; }
}

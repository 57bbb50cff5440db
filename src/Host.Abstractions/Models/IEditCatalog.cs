namespace Host.Abstractions;

/// <summary>
/// A plugin's stored edits, for a host to list and act on: each action is one of the plugin's own commands, run with
/// the edit's <see cref="StoredEdit.Name"/> as its <see cref="EditParameter"/> argument. Registered with
/// <see cref="ICommandRegistry.RegisterEditCatalog"/>. Added in contract 2.1.
/// </summary>
public interface IEditCatalog
{
    /// <summary>The parameter name the action commands take the edit's name as (e.g. <c>delta</c>).</summary>
    string EditParameter { get; }

    /// <summary>The command that applies an edit to the live model.</summary>
    string LoadCommand { get; }

    /// <summary>The command that deletes a stored edit, or null.</summary>
    string? DeleteCommand { get; }

    /// <summary>The command that exports an edit for other hosts, or null.</summary>
    string? ExportCommand { get; }

    /// <summary>Every stored edit, newest first; <see cref="StoredEdit.FitsModel"/> set against <paramref name="model"/> when given.</summary>
    IReadOnlyList<StoredEdit> List(ILoadedModel? model);

    /// <summary>The stored edit whose weights carry <paramref name="stamp"/>, or null.</summary>
    StoredEdit? FindByStamp(string stamp);
}

using EsdPlugin.Blocklist;
using EsdPlugin.Deltas;
using EsdPlugin.Training;
using Host.Abstractions;

namespace EsdPlugin.Commands;

/// <summary>
/// <c>esd.apply-blocklist</c>: loads stored safe checkpoints for this base that cover every concept the open project
/// blocks (one delta, or per-concept deltas composed); with <c>--train-missing</c>, first trains one for the concepts no
/// stored delta covers (those concepts in one run).
/// </summary>
internal static class ApplyBlocklistCommand
{
    public const string Id = "esd.apply-blocklist";

    public static CommandDefinition Create(EsdServices services) => new()
    {
        Id = Id,
        Title = "Apply concept blocklist",
        MenuPath = "Project/Apply concept blocklist",
        Description = "Makes the live model safe for the open project: loads a delta erasing every blocked concept, training one with --train-missing if none exists.",
        Parameters =
        [
            new CommandParameter { Name = "train-missing", Kind = ParameterKind.Flag, Default = false, Description = "train a delta for the blocklist when the store has none" },
            new CommandParameter { Name = "method", Kind = ParameterKind.Choice, Choices = Training.EsdMethods.Accepted, Description = "method when training (default: the model's)" },
            new CommandParameter { Name = "iterations", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 1_000_000, Description = "iterations when training, in all (default: the model's per concept, times the blocked concepts)" },
            new CommandParameter { Name = "seed", Kind = ParameterKind.Integer, Default = 0L, Description = "seed when training" },
        ],
        Handler = inv => Run(services, inv),
    };

    private static async Task<CommandResult> Run(EsdServices services, CommandInvocation inv)
    {
        var project = services.Context.Projects.Active ?? throw new InvalidOperationException("no project is open (pass --project <dir>)");
        var blocked = SafeCheckpoints.Blocked(project);
        using var lease = await services.Context.Models.AcquireAsync(LeaseMode.Exclusive, inv.Cancellation);
        var model = lease.Model;
        if (blocked.Count == 0)
        {
            model.Patches.Restore();
            return new CommandResult($"project '{project.Name}' blocks nothing: the original weights are live");
        }

        var forBase = SafeCheckpoints.ForBase(services, model);
        var parts = SafeCheckpoints.CoveringSet(forBase, blocked);
        var files = new List<string>();
        string trainedNote = "";
        if (parts is null)
        {
            var missing = blocked.Where(c => !forBase.Any(d => d.Covers([c]))).ToList();
            if (!inv.Get<bool>("train-missing"))
                throw new InvalidOperationException(
                    $"no stored safe checkpoint for this base erases {string.Join(", ", missing)}" +
                    $". Run: studio run {Id} --project \"{project.Folder}\" --train-missing");
            var settings = EraseConceptCommand.Settings(model, missing, inv);
            int required = SafeCheckpoints.RequiredIterations(model, missing, settings.Method);
            if (settings.Iterations < required)
                throw new ArgumentException($"--iterations {settings.Iterations} is fewer than the {required} a safe checkpoint for {ConceptNames.Describe(missing)} " +
                    $"with {settings.Method.Name()} needs (the model's defaults); leave it out, or erase with Erase concept for a trial run");
            string name, path;
            using (var result = EraseConceptCommand.Train(services, model, settings, inv))
                (name, path) = services.Store.SaveNew(DeltaNames.Default(missing, settings.Method.Name(), "blocklist-"), chosen: false, (n, p) =>
                    DeltaFile.Write(services.Context.TensorFiles, services.Store.Signer, p, n, settings, result, EraseConceptCommand.DtypeName(model.Dtype), model.Family));
            files.Add(path);
            trainedNote = $"trained '{name}' ({settings.Iterations} iterations of {settings.Method.Name()}); ";
            parts = SafeCheckpoints.CoveringSet([.. forBase, DeltaFile.Inspect(services.Context.TensorFiles, path)], blocked)
                ?? throw new InvalidOperationException($"the delta just trained ('{name}') does not make a safe checkpoint for {ConceptNames.Describe(missing)}");
        }
        var composition = Composition.Of(parts.Select(d => new EditPart(d)).ToList());
        services.Load(model, composition);
        services.StampLoadedForProject = composition.Stamp;
        return new CommandResult($"{trainedNote}loaded {composition.Describe()} (erases {ConceptNames.Describe(parts.SelectMany(d => d.Concepts).Distinct().ToList())}) for project '{project.Name}'", files);
    }
}

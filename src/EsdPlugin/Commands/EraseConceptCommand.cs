using EsdPlugin.Blocklist;
using EsdPlugin.Deltas;
using EsdPlugin.Training;
using Host.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace EsdPlugin.Commands;

/// <summary><c>esd.erase-concept</c>: trains an ESD delta on the leased model, stores it and optionally loads it.</summary>
internal static class EraseConceptCommand
{
    public const string Id = "esd.erase-concept";

    public static CommandDefinition Create(EsdServices services) => new()
    {
        Id = Id,
        Title = "Erase concept…",
        MenuPath = "Models/Erase concept…",
        Description = "Fine-tunes the U-Net with ESD so that prompting a concept no longer produces it; saves the edit as a delta. " +
                      "Defaults come from the model folder's esd_defaults.json, else the paper's for SD 1.x.",
        Parameters =
        [
            new CommandParameter { Name = "concepts", Kind = ParameterKind.TextList, Required = true, Description = "concept(s) to erase, comma-separated (one drawn per iteration)" },
            new CommandParameter { Name = "method", Kind = ParameterKind.Choice, Choices = EsdMethods.Accepted, Description = "which weights to train (default: the model's): " + EsdMethods.Help },
            new CommandParameter { Name = "iterations", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 1_000_000, Description = "training iterations, in all (default: the model's per concept, times the concepts)" },
            new CommandParameter { Name = "learning-rate", Kind = ParameterKind.Number, Minimum = 0, Maximum = 1, Description = "Adam learning rate" },
            new CommandParameter { Name = "eta", Kind = ParameterKind.Number, Minimum = 0, Maximum = 100, Description = "negative guidance strength (the paper's eta; the authors' later scripts' 2.0 is 1.0 here)" },
            new CommandParameter { Name = "start-guidance", Kind = ParameterKind.Number, Minimum = 0, Maximum = 100, Description = "guidance scale when sampling x_t" },
            new CommandParameter { Name = "ddim-steps", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 1000, Description = "DDIM steps of the x_t trajectory" },
            new CommandParameter { Name = "xt-from", Kind = ParameterKind.Choice, Choices = XtSources.Names, Description = "which model samples x_t (trained: the paper)" },
            new CommandParameter { Name = "timestep-mapping", Kind = ParameterKind.Choice, Choices = TimestepPairings.Names, Description = "how x_t and t are paired: paper (the original code: its 49-step schedule run to step k from the clean end, t drawn in [k/T, (k+1)/T)·1000) or matched (the 2025 scripts: k steps from the noise, t the timestep x_t stopped at)" },
            new CommandParameter { Name = "anchor", Kind = ParameterKind.Text, Description = "a word standing for no concept (\"shape\"): negative guidance against the same prompt with it in the concept's place; none for the empty prompt (plain ESD)" },
            new CommandParameter { Name = "erase-from", Kind = ParameterKind.Text, Description = "the 2025 scripts' option: x_t and the trained prediction are conditioned on this concept, the target is ep_from - (eta + 1)(ep - e0)" },
            new CommandParameter { Name = "prompt-templates", Kind = ParameterKind.TextList, Description = "prompts the concept is trained under, {} standing for it, comma-separated (default: the model's, else the bare concept)" },
            new CommandParameter { Name = "batch-size", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 256, Description = "x_t samples per iteration (the paper: 1)" },
            new CommandParameter { Name = "preserve", Kind = ParameterKind.TextList, Description = "concepts to keep as they were, comma-separated; a retain term added to ESD (default: the model's; none: plain ESD)" },
            new CommandParameter { Name = "preserve-weight", Kind = ParameterKind.Number, Minimum = 0, Maximum = 1000, Description = "weight of the retain term (default: the model's, else 1)" },
            new CommandParameter { Name = "pool-size", Kind = ParameterKind.Integer, Minimum = 0, Maximum = 4096, Description = "trajectories kept per prompt for x_t the frozen model gives (--xt-from frozen, the retain term); 0: sample every x_t afresh (default: the model's, else 32)" },
            new CommandParameter { Name = "retain-pool-size", Kind = ParameterKind.Integer, Minimum = 0, Maximum = 4096, Description = "trajectories kept per prompt for the retain term's x_t (0: sample it afresh; default: the model's, else 8)" },
            new CommandParameter { Name = "pool-refresh", Kind = ParameterKind.Integer, Minimum = 0, Maximum = 1_000_000, Description = "iterations between re-samplings of the frozen pool (0: never)" },
            new CommandParameter { Name = "xt-refresh", Kind = ParameterKind.Integer, Minimum = 0, Maximum = 1_000_000, Description = "with --xt-from trained: 0 samples each x_t with the current weights (exact, the paper); M > 0 draws x_t from a pool of the trained model's trajectories re-sampled every M iterations (an approximation, much faster)" },
            new CommandParameter { Name = "seed", Kind = ParameterKind.Integer, Default = 0L, Description = "random seed" },
            new CommandParameter { Name = "name", Kind = ParameterKind.Text, Description = "delta name in the store (default: concepts and method)" },
            new CommandParameter { Name = "load", Kind = ParameterKind.Flag, Default = false, Description = "load the delta into the live model when done" },
            new CommandParameter { Name = "resume", Kind = ParameterKind.Flag, Default = false, Description = "continue the same run from its last checkpoint" },
        ],
        Handler = invocation => Run(services, invocation),
    };

    private static async Task<CommandResult> Run(EsdServices services, CommandInvocation inv)
    {
        var concepts = inv.Get<IReadOnlyList<string>>("concepts").Select(ConceptNames.Normalize).Where(c => c.Length > 0).Distinct().ToList();
        if (concepts.Count == 0) throw new ArgumentException("--concepts names no concept");
        using var lease = await services.Context.Models.AcquireAsync(LeaseMode.Exclusive, inv.Cancellation);
        var settings = Settings(lease.Model, concepts, inv);
        // Everything that would fail at save time fails now, before any training.
        var chosen = inv.Get<string?>("name");
        var requested = chosen ?? DeltaNames.Default(concepts, settings.Method.Name());
        try { services.Store.CheckNew(requested, chosen is not null); }
        catch (ArgumentException e) when (chosen is not null) { throw new ArgumentException($"--name: {e.Message}"); }

        using var result = Train(services, lease.Model, settings, inv);
        var (name, path) = services.Store.SaveNew(requested, chosen is not null, (n, p) =>
            DeltaFile.Write(services.Context.TensorFiles, services.Store.Signer, p, n, settings, result, DtypeName(lease.Model.Dtype), lease.Model.Family));
        var message = $"erased {ConceptNames.Describe(concepts)} with {settings.Method.Name()} ({Ran(result)}, final loss {result.FinalLoss:F5}); delta '{name}' saved" +
                      (name != requested ? $" (a delta named '{requested}' is already stored)" : "");
        if (inv.Arguments.GetValueOrDefault("resume") is true && result.ResumedFrom is null)
            message += "; there was no checkpoint of this run to resume, so it trained from the start";
        if (inv.Get<bool>("load"))
        {
            DeltaLoader.Load(lease.Model, services.Context.TensorFiles, DeltaFile.Inspect(services.Context.TensorFiles, path));
            message += " and loaded";
        }
        return new CommandResult(message, [path]);
    }

    /// <summary>
    /// Trains on the live U-Net from the original weights. Any edit that was live is taken out first and put back
    /// afterwards (also on failure or cancellation), so the live model ends exactly as it was.
    /// </summary>
    internal static EsdResult Train(EsdServices services, ILoadedModel model, EsdSettings settings, CommandInvocation inv)
    {
        var previousStamp = model.Patches.LiveStamp;
        Dictionary<string, Tensor>? previous = null;
        if (previousStamp is not null)
        {
            var live = model.Unet.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            using (no_grad()) previous = model.Patches.PatchedNames.ToDictionary(n => n, n => live[n].detach().cpu().clone());
            model.Patches.Restore();
        }
        try
        {
            var trainer = new EsdTrainer(model, services.Context.TensorFiles) { CheckpointFolder = services.CheckpointFolder };
            return trainer.Train(settings, inv.Arguments.GetValueOrDefault("resume") is true,
                p => inv.Progress.Report(new ProgressReport(p.Fraction, p.Describe())), inv.Cancellation);
        }
        finally
        {
            if (previous is not null)
            {
                model.Patches.Apply(previous, previousStamp!);
                foreach (var t in previous.Values) t.Dispose();
            }
        }
    }

    /// <summary>The model's defaults overridden by whichever training parameters the invocation has and sets.</summary>
    internal static EsdSettings Settings(ILoadedModel model, IReadOnlyList<string> concepts, CommandInvocation inv)
    {
        // The method first: the model's defaults may differ per method.
        var method = inv.Arguments.GetValueOrDefault("method") is string m ? EsdMethods.Parse(m) : (EsdMethod?)null;
        var d = EsdDefaults.For(model.Folder, concepts, method, model.Family);
        return d with
        {
            Iterations = inv.Arguments.GetValueOrDefault("iterations") is long i ? (int)i : d.Iterations,
            LearningRate = inv.Arguments.GetValueOrDefault("learning-rate") is double lr ? lr : d.LearningRate,
            Eta = inv.Arguments.GetValueOrDefault("eta") is double eta ? eta : d.Eta,
            StartGuidance = inv.Arguments.GetValueOrDefault("start-guidance") is double g ? g : d.StartGuidance,
            DdimSteps = inv.Arguments.GetValueOrDefault("ddim-steps") is long steps ? (int)steps : d.DdimSteps,
            XtFrom = inv.Arguments.GetValueOrDefault("xt-from") is string x ? XtSources.Parse(x) : d.XtFrom,
            Seed = inv.Arguments.GetValueOrDefault("seed") is long seed ? seed : d.Seed,
            BatchSize = inv.Arguments.GetValueOrDefault("batch-size") is long b ? (int)b : d.BatchSize,
            Pairing = inv.Arguments.GetValueOrDefault("timestep-mapping") is string tm ? TimestepPairings.Parse(tm) : d.Pairing,
            Anchor = inv.Arguments.GetValueOrDefault("anchor") is string anchor ? (ConceptNames.Normalize(anchor) is "none" or "" ? null : ConceptNames.Normalize(anchor)) : d.Anchor,
            EraseFrom = inv.Arguments.GetValueOrDefault("erase-from") is string from && ConceptNames.Normalize(from) is { Length: > 0 } f ? f : d.EraseFrom,
            PromptTemplates = inv.Arguments.GetValueOrDefault("prompt-templates") is IReadOnlyList<string> pt ? pt : d.PromptTemplates,
            Preserve = inv.Arguments.GetValueOrDefault("preserve") is IReadOnlyList<string> keep
                ? (keep is ["none"] ? [] : keep.Select(ConceptNames.Normalize).Distinct().ToList()) : d.Preserve,
            PreserveWeight = inv.Arguments.GetValueOrDefault("preserve-weight") is double w ? w : d.PreserveWeight,
            PoolSize = inv.Arguments.GetValueOrDefault("pool-size") is long ps ? (int)ps : d.PoolSize,
            RetainPoolSize = inv.Arguments.GetValueOrDefault("retain-pool-size") is long rps ? (int)rps : d.RetainPoolSize,
            PoolRefresh = inv.Arguments.GetValueOrDefault("pool-refresh") is long pr ? (int)pr : d.PoolRefresh,
            XtRefresh = inv.Arguments.GetValueOrDefault("xt-refresh") is long xr ? (int)xr : d.XtRefresh,
        };
    }

    /// <summary>"300 iterations", or how a resumed run continued.</summary>
    internal static string Ran(EsdResult result) => result.ResumedFrom is { } from
        ? $"{result.Iterations} iterations, resumed after iteration {from}"
        : $"{result.Iterations} iterations";

    internal static string DtypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "F32", ScalarType.Float16 => "F16", ScalarType.BFloat16 => "BF16", _ => t.ToString(),
    };
}

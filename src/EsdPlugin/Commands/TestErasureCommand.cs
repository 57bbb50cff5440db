using System.Globalization;
using EsdPlugin.Blocklist;
using EsdPlugin.Pictures;
using EsdPlugin.RedTeam;
using EsdPlugin.Training;
using Host.Abstractions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EsdPlugin.Commands;

/// <summary>
/// <c>esd.test-erasure</c>: the red team. On the live edit it asks for each erased concept (a) in other words (the
/// prompt attack) and (b) through learned prompt tokens that make the edited model predict what the original
/// predicted for the concept (the embedding attack), and draws what each brings back beside the plain prompt. It needs
/// no classifier, so it runs on any model: a grid, the attack's loss curves, and the images and learned tokens as files
/// a judge (the studio's <c>attack</c> verb) can score.
/// </summary>
internal static class TestErasureCommand
{
    public const string Id = "esd.test-erasure";
    public static readonly string[] AttackNames = ["prompt", "embedding"];

    public static CommandDefinition Create(EsdServices services) => new()
    {
        Id = Id,
        Title = "Test erasure…",
        MenuPath = "Models/Test erasure…",
        Description = "Attacks the live edit to see whether an erased concept comes back: prompt variants (misspellings, paraphrases, longer prompts, " +
                      "lists, the model's synonyms) and learned prompt tokens optimised to match the original model (in the manner of P4D / UnlearnDiffAtk). " +
                      "Writes a grid of what each attack drew, the attack's loss curves, the images and the learned tokens.",
        Parameters =
        [
            new CommandParameter { Name = "concepts", Kind = ParameterKind.TextList, Description = "concept(s) to attack (default: the live edit's)" },
            new CommandParameter { Name = "attacks", Kind = ParameterKind.TextList, Default = (IReadOnlyList<string>)AttackNames, Description = "prompt, embedding, or both (comma-separated)" },
            new CommandParameter { Name = "images-per-prompt", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 256, Default = 8L, Description = "images drawn per prompt and per learned embedding" },
            new CommandParameter { Name = "tokens", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 20, Default = 5L, Description = "embedding attack: learned tokens" },
            new CommandParameter { Name = "attack-steps", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 100_000, Default = 200L, Description = "embedding attack: Adam steps per restart" },
            new CommandParameter { Name = "attack-learning-rate", Kind = ParameterKind.Number, Minimum = 0, Maximum = 10, Default = 0.05, Description = "embedding attack: Adam learning rate" },
            new CommandParameter { Name = "attack-batch", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 256, Default = 8L, Description = "embedding attack: states per step" },
            new CommandParameter { Name = "restarts", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 64, Default = 2L, Description = "embedding attack: independent random starts" },
            new CommandParameter { Name = "attack-prompt", Kind = ParameterKind.Text, Default = "{}", Description = "embedding attack: the prompt the learned tokens precede, {} for the concept (empty: the tokens alone)" },
            new CommandParameter { Name = "steps", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 1000, Default = 25L, Description = "DDIM steps (the attack's trajectories and the images)" },
            new CommandParameter { Name = "guidance", Kind = ParameterKind.Number, Minimum = 0, Maximum = 100, Default = 7.5, Description = "classifier-free guidance scale" },
            new CommandParameter { Name = "seed", Kind = ParameterKind.Integer, Default = 0L, Description = "random seed (the images of every row start from the same noise)" },
            new CommandParameter { Name = "out", Kind = ParameterKind.Path, Description = "folder for the results (default: red-team/<edit>-<time> in the plugin's data folder)" },
        ],
        Handler = inv => Run(services, inv),
    };

    private sealed record Row(string Kind, string Concept, string Prompt, string? Trick = null, int? Restart = null, EmbeddingAttackRun? Attack = null);

    private static async Task<CommandResult> Run(EsdServices services, CommandInvocation inv)
    {
        var attacks = inv.Get<IReadOnlyList<string>>("attacks").Select(a => a.Trim().ToLowerInvariant()).Where(a => a.Length > 0).Distinct().ToList();
        if (attacks.Count == 0 || attacks.Any(a => !AttackNames.Contains(a)))
            throw new ArgumentException($"--attacks: expected {string.Join(", ", AttackNames)} (comma-separated), got '{string.Join(",", attacks)}'");
        int k = (int)inv.Get<long>("images-per-prompt"), steps = (int)inv.Get<long>("steps");
        double guidance = inv.Get<double>("guidance");
        long seed = inv.Get<long>("seed");
        var settings = new EmbeddingAttackSettings
        {
            Tokens = (int)inv.Get<long>("tokens"), Steps = (int)inv.Get<long>("attack-steps"), LearningRate = inv.Get<double>("attack-learning-rate"),
            Restarts = (int)inv.Get<long>("restarts"), BatchSize = (int)inv.Get<long>("attack-batch"), AttackPrompt = inv.Get<string>("attack-prompt"), DdimSteps = steps, Guidance = guidance, Seed = seed,
        };
        if (settings.AttackPrompt.Length > 0) ConceptPrompts.Validate([settings.AttackPrompt]);

        using var lease = await services.Context.Models.AcquireAsync(LeaseMode.Exclusive, inv.Cancellation);
        var model = lease.Model;
        var stamp = model.Patches.LiveStamp
            ?? throw new InvalidOperationException("no edit is live: load the edit to test first (Models ▸ Load edited model…, esd.load-edited-model)");
        var concepts = inv.Arguments.GetValueOrDefault("concepts") is IReadOnlyList<string> given
            ? given.Select(ConceptNames.Normalize).Where(c => c.Length > 0).Distinct().ToList()
            : LiveConcepts(services, stamp);
        if (concepts.Count == 0) throw new ArgumentException($"the live edit ({stamp}) names no concept this plugin knows: pass --concepts");
        var outDir = inv.Get<string?>("out") ?? Path.Combine(services.Context.DataFolder, "red-team",
            $"{stamp.Replace(':', '-')[..Math.Min(16, stamp.Length)]}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        Directory.CreateDirectory(outDir);

        var rows = new List<Row>();
        foreach (var c in concepts)
        {
            rows.Add(new Row("unattacked", c, c));
            if (attacks.Contains("prompt"))
                rows.AddRange(PromptAttack.Variants(c, model.Folder).Select(p => new Row("prompt", c, p.Prompt, p.Trick)));
        }
        // Progress in rough U-Net-call units: an attack step is a forward and a backward, a row of images steps x K forwards.
        double attackWork = attacks.Contains("embedding") ? concepts.Count * settings.Restarts * (settings.Steps * 3.0 + settings.Trajectories * steps) : 0;
        double rowWork = steps * 2.0 * k / 8, total = attackWork + rowWork * (rows.Count + (attacks.Contains("embedding") ? concepts.Count * settings.Restarts : 0)), done = 0;
        void Report(string message) => inv.Progress.Report(new ProgressReport(Math.Min(1, done / total), message));

        var patched = new HashSet<string>(model.Patches.PatchedNames, StringComparer.Ordinal);
        var parameters = model.Unet.named_parameters().Where(p => patched.Contains(p.name)).Select(p => (p.name, p.parameter)).ToList();
        var images = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var learnedFile = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            if (attacks.Contains("embedding"))
            {
                using var originals = new FrozenOriginals(parameters, model.Patches.Original);
                foreach (var c in concepts)
                {
                    double before = done;
                    var runs = EmbeddingAttack.Run(model, originals, c, settings, (r, step, of, loss) =>
                    {
                        done = before + r * (settings.Steps * 3.0 + settings.Trajectories * steps) + settings.Trajectories * steps + step * 3.0;
                        if (step % 10 == 0 || step == of)
                            Report($"embedding attack on '{c}': start {r + 1}/{settings.Restarts}, step {step}/{of}, loss {loss:F5}");
                    }, inv.Cancellation);
                    done = before + settings.Restarts * (settings.Steps * 3.0 + settings.Trajectories * steps);
                    for (int r = 0; r < runs.Count; r++)
                    {
                        rows.Add(new Row("embedding", c, ConceptPrompts.For(c, [settings.AttackPrompt.Length == 0 ? "" : settings.AttackPrompt])[0], Restart: r, Attack: runs[r]));
                        learnedFile[$"embedding.{c}.{r}"] = runs[r].Learned;
                    }
                }
            }
            using var uncond = model.TextEncoder.Encode([""]);
            for (int i = 0; i < rows.Count; i++)
            {
                inv.Cancellation.ThrowIfCancellationRequested();
                var row = rows[i];
                Report($"drawing row {i + 1}/{rows.Count}: {row.Kind} \"{row.Prompt}\"");
                using var cond = row.Attack is { } a ? EncodeLearned(model, row.Prompt, a.Learned) : model.TextEncoder.Encode([row.Prompt]);
                images[$"row.{i}"] = AttackImages.Generate(model, cond, uncond, k, seed, steps, guidance, inv.Cancellation);
                done += rowWork;
            }

            var report = ReportJson(stamp, concepts, attacks, settings, k, steps, guidance, seed, rows);
            var files = new List<string>();
            string Write(string name, Action<string> write)
            {
                var path = Path.Combine(outDir, name);
                services.Context.TensorFiles.WriteAtomically(path, write);
                files.Add(path);
                return path;
            }
            var metadata = new Dictionary<string, string> { ["edit"] = stamp, ["concepts"] = string.Join(",", concepts), ["producer"] = Id };
            // Tensor files are written atomically by the host already.
            void WriteTensors(string name, Dictionary<string, Tensor> tensors, Dictionary<string, string> meta)
            {
                var path = Path.Combine(outDir, name);
                services.Context.TensorFiles.Write(path, tensors, meta);
                files.Add(path);
            }
            WriteTensors("images.safetensors", images, metadata);
            if (learnedFile.Count > 0)
                WriteTensors("learned.safetensors", learnedFile, new Dictionary<string, string>(metadata) { ["attack_prompt"] = settings.AttackPrompt });
            Write("grid.png", temp => File.WriteAllBytes(temp, AttackPictures.Grid(rows.Select((_, i) => images[$"row.{i}"]).ToList())));
            if (rows.Any(r => r.Attack is not null))
                Write("loss.png", temp => File.WriteAllBytes(temp, AttackPictures.LossCurves(rows.Where(r => r.Attack is not null).Select(r => r.Attack!.Losses).ToList())));
            var reportPath = Write("report.json", temp => File.WriteAllText(temp, report.ToString(Formatting.Indented)));
            files.Remove(reportPath);
            files.Insert(0, reportPath);
            var summary = string.Join("; ", rows.Where(r => r.Attack is not null).Select(r =>
                string.Create(CultureInfo.InvariantCulture, $"'{r.Concept}' start {r.Restart + 1}: loss {r.Attack!.InitialLoss:F4} -> {r.Attack.FinalLoss:F4} (the concept's own prompt: {r.Attack.ConceptPromptLoss:F4})")));
            return new CommandResult($"tested the live edit on {ConceptNames.Describe(concepts)}: {rows.Count} rows of {k} images in {outDir}" +
                                     (summary.Length > 0 ? $"; embedding attack {summary}" : ""), files);
        }
        finally
        {
            foreach (var t in images.Values.Concat(learnedFile.Values)) t.Dispose();
        }
    }

    private static Conditioning EncodeLearned(ILoadedModel model, string prompt, Tensor learned)
    {
        using var noGrad = no_grad();
        using var onDevice = learned.to(model.Device);
        return model.TextEncoder.EncodeWithLearnedTokens(prompt, onDevice);
    }

    /// <summary>The concepts of the live edit, from this session's compositions or the store.</summary>
    private static List<string> LiveConcepts(EsdServices services, string stamp) =>
        (services.Applied.TryGetValue(stamp, out var composition) ? composition.Parts.SelectMany(p => p.Concepts)
            : services.Store.FindByStamp(stamp)?.Concepts ?? []).Select(ConceptNames.Normalize).Distinct().ToList();

    private static JObject ReportJson(string stamp, IReadOnlyList<string> concepts, IReadOnlyList<string> attacks, EmbeddingAttackSettings s,
        int k, int steps, double guidance, long seed, IReadOnlyList<Row> rows) => new()
    {
        ["edit"] = stamp,
        ["concepts"] = new JArray(concepts),
        ["attacks"] = new JArray(attacks),
        ["images_per_prompt"] = k, ["steps"] = steps, ["guidance"] = guidance, ["seed"] = seed,
        ["embedding_attack"] = attacks.Contains("embedding") ? new JObject
        {
            ["tokens"] = s.Tokens, ["steps"] = s.Steps, ["learning_rate"] = s.LearningRate, ["batch"] = s.BatchSize, ["restarts"] = s.Restarts,
            ["trajectories"] = s.Trajectories, ["attack_prompt"] = s.AttackPrompt, ["target_prompt"] = s.TargetPrompt,
        } : null,
        ["rows"] = new JArray(rows.Select((r, i) => new JObject
        {
            ["kind"] = r.Kind, ["concept"] = r.Concept, ["prompt"] = r.Prompt, ["trick"] = r.Trick, ["restart"] = r.Restart,
            ["images"] = $"row.{i}",
            ["learned"] = r.Restart is { } restart ? $"embedding.{r.Concept}.{restart}" : null,
            ["initial_loss"] = r.Attack?.InitialLoss, ["final_loss"] = r.Attack?.FinalLoss,
            ["concept_prompt_loss"] = r.Attack?.ConceptPromptLoss,
            ["losses"] = r.Attack is null ? null : new JArray(r.Attack.Losses.Select(l => Math.Round(l, 6))),
        })),
    };
}

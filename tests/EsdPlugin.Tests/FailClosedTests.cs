using EsdPlugin.Blocklist;
using EsdPlugin.Commands;
using EsdPlugin.Deltas;
using Host.Abstractions;
using SampleHost.Projects;
using TestUtilities;
using static TorchSharp.torch;

namespace EsdPlugin.Tests;

/// <summary>The promise "this project cannot generate X" holds against edited files, NaN, reused names and kill -9.</summary>
[Collection(HeavyTests.Name)]
public class FailClosedTests
{
    private static Dictionary<string, string> Quick(string concepts) => new()
    {
        ["concepts"] = concepts, ["iterations"] = "2", ["ddim-steps"] = "2", ["learning-rate"] = "1e-3", ["method"] = "esd-x",
    };

    private static async Task<string> Train(Harness h, Dictionary<string, string> args) =>
        Assert.Single((await h.Run(EraseConceptCommand.Create(h.Services), args)).Files);

    private static async Task<GuardDecision> Generate(Harness h, params string[] blocked)
    {
        var folder = Path.Combine(h.DataFolder, "project-" + string.Join("-", blocked));
        if (!Directory.Exists(folder)) ProjectService.Create(folder, new ProjectSettings("p", h.Model, blocked, null));
        var project = h.Projects.Open(folder);
        return await h.Projects.CheckGenerationAsync(new GenerationRequest(h.Model, ["a cat"], project));
    }

    [Fact]
    public async Task AnEditedOrForeignDeltaNeverSatisfiesABlocklist()
    {
        using var h = Harness.WithSafeIterations(2);
        h.Projects.RegisterGenerationGuard(new BlocklistGuard(h.Services));
        var cat = await Train(h, Quick("cat"));
        Assert.True((await Generate(h, "cat")).Allowed); // the signed delta covers cat

        // The same file with "circle" added to its concepts, under another name: its signature no longer checks.
        var header = h.Context.TensorFiles.ReadHeader(cat);
        var edited = new Dictionary<string, string>(header.Metadata) { ["concepts"] = "[\"cat\",\"circle\"]", ["name"] = "edited" };
        using (var contents = h.Context.TensorFiles.Read(cat))
            h.Context.TensorFiles.Write(Path.Combine(h.Services.Store.Folder, "edited.safetensors"), contents.Tensors, edited);
        // A file without our metadata (as the authors' scripts write) claims nothing, and is not vouched for either.
        using (var contents = h.Context.TensorFiles.Read(cat))
            h.Context.TensorFiles.Write(Path.Combine(h.Services.Store.Folder, "foreign.safetensors"), contents.Tensors);

        var refused = await Generate(h, "circle");
        Assert.False(refused.Allowed);
        Assert.Contains("blocks circle", refused.Message);
        var store = h.Services.Store.All();
        Assert.False(h.Services.Store.IsVouchedFor(store.Single(d => d.Name == "edited")));
        Assert.False(h.Services.Store.IsVouchedFor(store.Single(d => d.Path.EndsWith("foreign.safetensors"))));
        Assert.True(h.Services.Store.IsVouchedFor(store.Single(d => d.Path == cat)));
    }

    [Fact]
    public async Task OneBadFileInTheStoreDoesNotBlockEveryProject()
    {
        using var h = Harness.WithSafeIterations(2);
        h.Projects.RegisterGenerationGuard(new BlocklistGuard(h.Services));
        await Train(h, Quick("cat"));
        File.WriteAllText(Path.Combine(h.Services.Store.Folder, "garbage.safetensors"), "not a safetensors file at all");
        var decision = await Generate(h, "cat");
        Assert.True(decision.Allowed, decision.Message);
    }

    [Fact]
    public async Task ADivergingTrainingStopsWithAnErrorAndLeavesTheModelAsItWas()
    {
        using var h = new Harness();
        var before = await h.UnetBytes();
        // A step size no command accepts (--learning-rate stops at 1): the weights overflow within a few iterations.
        var settings = new Training.EsdSettings { Concepts = ["cat"], Method = Training.EsdMethod.EsdX, Iterations = 20, DdimSteps = 2, LearningRate = 1e30 };
        using (var lease = await h.Cache.AcquireAsync(LeaseMode.Exclusive))
        {
            var trainer = new Training.EsdTrainer(lease.Model, h.Context.TensorFiles);
            var e = Assert.Throws<Training.TrainingDivergedException>(() => trainer.Train(settings, false, null, CancellationToken.None).Dispose());
            Assert.Contains("no delta was written", e.Message);
        }
        Assert.Equal(before, await h.UnetBytes());
    }

    [Fact]
    public async Task NamesNeverReplaceADeltaAndAreCheckedBeforeTraining()
    {
        using var h = new Harness();
        var first = await Train(h, Quick("cat"));
        // The same default name again: a new file beside the first, and the message says so.
        var second = await h.Run(EraseConceptCommand.Create(h.Services), Quick("cat"));
        Assert.Contains("'cat-esd-x-2' saved (a delta named 'cat-esd-x' is already stored)", second.Message);
        Assert.True(File.Exists(first));
        Assert.Equal(2, h.Services.Store.All().Count);

        // A chosen name that is taken (here: one that cleans up to the same file) is refused before any training.
        var taken = Quick("dog");
        taken["name"] = "cat esd x";
        taken["iterations"] = "100000";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => h.Run(EraseConceptCommand.Create(h.Services), taken));
        Assert.Contains("--name", e.Message);
        Assert.Contains("already stored", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the name was checked only after training");

        var tooLong = Quick("dog");
        tooLong["name"] = new string('n', 300);
        Assert.Contains("at most 100 characters", (await Assert.ThrowsAsync<ArgumentException>(() => h.Run(EraseConceptCommand.Create(h.Services), tooLong))).Message);

        // A concept too long for a file name still gets a short, distinct default name.
        var longConcept = Quick(new string('x', 10_000));
        longConcept["iterations"] = "1";
        var saved = Assert.Single((await h.Run(EraseConceptCommand.Create(h.Services), longConcept)).Files);
        Assert.True(Path.GetFileNameWithoutExtension(saved).Length <= DeltaNames.MaxLength);
    }

    [Fact]
    public async Task ACheckpointThatDoesNotFitIsRefusedByName()
    {
        using var h = new Harness();
        var args = Quick("cat");
        args["iterations"] = "60";
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Run(EraseConceptCommand.Create(h.Services), args, cancel.Token,
            p => { if (p.Fraction >= 55.0 / 60) cancel.Cancel(); }));
        var folder = Assert.Single(Directory.GetDirectories(h.Services.CheckpointFolder));
        var optimizer = Assert.Single(Directory.GetFiles(folder, "optimizer-*.bin"));
        Assert.EndsWith("optimizer-50.bin", optimizer);

        // The optimizer state of another iteration under the student's name: refused, not resumed from.
        File.WriteAllBytes(optimizer, [.. File.ReadAllBytes(optimizer), 0]);
        args["resume"] = "true";
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => h.Run(EraseConceptCommand.Create(h.Services), args));
        Assert.Contains("student.safetensors", e.Message);
        Assert.Contains("is not the one saved with it", e.Message);

        // A student whose iteration lies beyond the run.
        var student = Path.Combine(folder, "student.safetensors");
        using (var contents = h.Context.TensorFiles.Read(student))
        {
            var meta = new Dictionary<string, string>(contents.Metadata) { ["iteration"] = "-999940" };
            h.Context.TensorFiles.Write(student, contents.Tensors, meta);
        }
        e = await Assert.ThrowsAsync<InvalidDataException>(() => h.Run(EraseConceptCommand.Create(h.Services), args));
        Assert.Contains("does not fit a run of 60 iterations", e.Message);
    }

    [Fact]
    public async Task AnEmptyDeltaOrOneOfAnotherDtypeGetsTheRightMessage()
    {
        using var h = new Harness();
        var empty = Path.Combine(h.DataFolder, "empty.safetensors");
        h.Context.TensorFiles.Write(empty, new Dictionary<string, Tensor>(), new Dictionary<string, string> { ["format"] = "esd-delta", ["format_version"] = "1",
            ["name"] = "empty", ["concepts"] = "[\"cat\"]", ["method"] = "esd-x", ["base_fingerprint"] = new string('0', 64) });
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = empty }));
        Assert.Contains("holds no tensors", e.Message);
        Assert.DoesNotContain("another base", e.Message);

        // Trained on this base loaded in bfloat16, loaded into the float32 model: the same base, converted.
        string bf16;
        using (var hb = new Harness(dtype: ScalarType.BFloat16))
        {
            bf16 = Path.Combine(h.DataFolder, "bf16.safetensors");
            File.Copy(await Train(hb, Quick("cat")), bf16);
        }
        var loaded = await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = bf16 });
        Assert.Contains("made on this base loaded as BF16", loaded.Message);
    }
}

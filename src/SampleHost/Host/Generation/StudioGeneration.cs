using DiffusionEngine.Images;
using DiffusionEngine.StableDiffusion;
using Host.Abstractions;
using SampleHost.LoadedModels;
using SampleHost.Projects;

namespace SampleHost.Generation;

/// <summary>What a generation came to: refused (the guards' message and remedy), or the PNG files it wrote.</summary>
public sealed record GenerationOutcome(bool Allowed, string? Message, CommandRequest? Remedy, IReadOnlyList<string> Files);

/// <summary>
/// One text-to-image generation as every front end runs it: admitted by the guards (<see cref="GenerationGate"/>),
/// generated under a shared lease on exactly the weights they approved, each image saved as a PNG with its parameters.
/// </summary>
public static class StudioGeneration
{
    /// <param name="fileName">The file name of an image in <paramref name="outDir"/> from its parameters.</param>
    /// <param name="onAdmitted">Called once the lease is granted (until then the generation waits, e.g. for a training).</param>
    public static async Task<GenerationOutcome> RunAsync(ProjectService projects, ModelCache models, TextToImageRequest request, string outDir,
        Func<GenerationParameters, string> fileName, IProgress<ProgressReport>? progress = null, Action? onAdmitted = null, CancellationToken cancel = default)
    {
        var gate = new GenerationGate(projects, models);
        using var ticket = await gate.AdmitAsync([request.Prompt], cancel).ConfigureAwait(false);
        if (!ticket.Allowed) return new GenerationOutcome(false, ticket.Message, ticket.Remedy, []);
        onAdmitted?.Invoke();
        var model = (StudioModel)ticket.Lease!.Model;
        IReadOnlyList<string> edits = model.Patches.LiveStamp is { } stamp ? [$"weights patch {stamp} ({model.Patches.PatchedNames.Count} tensors)"] : [];
        Directory.CreateDirectory(outDir);
        var files = await Task.Run(() =>
        {
            var images = TextToImage.Generate(model.Engine, request, model.Fingerprint, edits,
                (done, total) => progress?.Report(new ProgressReport((double)done / total, $"step {done}/{total}")), cancel);
            var written = new List<string>();
            foreach (var (image, parameters) in images)
            {
                using var _ = image;
                var path = Path.Combine(outDir, fileName(parameters));
                PngImageFile.Save(image, path, parameters);
                written.Add(path);
            }
            return written;
        }, CancellationToken.None).ConfigureAwait(false);
        return new GenerationOutcome(true, ticket.Message, null, files);
    }
}

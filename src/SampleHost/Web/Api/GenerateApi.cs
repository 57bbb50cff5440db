using DiffusionEngine.Images;
using DiffusionEngine.StableDiffusion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SampleHost.Generation;
using SampleHost.Web.Jobs;

namespace SampleHost.Web.Api;

/// <summary>
/// File ▸ Generate: a generation job through the same guards and leases as the command line (queued while a training
/// holds the model), its images into the project's output folder or the outputs folder, and the gallery that reads each
/// image's parameters back from its PNG chunks.
/// </summary>
internal static class GenerateApi
{
    public const int MaxCount = 64;

    /// <param name="SldConcept">Safe Latent Diffusion against this text; empty or null: none.</param>
    /// <param name="SldPreset">weak, medium, strong or max (default medium).</param>
    public sealed record GenerateRequest(string? Prompt, string? NegativePrompt, int? Steps, double? Guidance, long? Seed, int? Count, int? Width, int? Height,
        string? SldConcept = null, string? SldPreset = null);

    public static void Map(WebApplication app, StudioWeb web)
    {
        app.MapPost("/api/generate", async (HttpRequest http) =>
        {
            var body = await JsonBody.ReadAsync<GenerateRequest>(http);
            var fields = new Dictionary<string, string>();
            if (string.IsNullOrWhiteSpace(body.Prompt)) fields["prompt"] = "a prompt is required";
            if (body.Steps is < 1 or > 1000) fields["steps"] = "steps must be 1..1000";
            if (body.Guidance is { } g && (!double.IsFinite(g) || g < 0 || g > 100)) fields["guidance"] = "guidance must be a number in 0..100";
            if (body.Count is < 1 or > MaxCount) fields["count"] = $"count must be 1..{MaxCount}";
            if (body.Seed is < 0) fields["seed"] = "the seed must be at least 0";
            foreach (var (name, side) in new[] { ("width", body.Width), ("height", body.Height) })
                if (side is < 8 or > TextToImage.MaxSide) fields[name] = $"{name} must be 8..{TextToImage.MaxSide} pixels";
            SafetyGuidance? safety = null;
            if (!string.IsNullOrWhiteSpace(body.SldConcept))
            {
                try { safety = SafetyGuidance.FromPreset(string.IsNullOrWhiteSpace(body.SldPreset) ? "medium" : body.SldPreset, body.SldConcept.Trim()); }
                catch (ArgumentException e) { fields["sldPreset"] = e.Message; }
            }
            if (web.Host.ModelCache.ActiveKey is null) fields["model"] = "choose a model first (Models)";
            if (fields.Count > 0) return JsonBody.Result(new { error = "some values are not accepted", fields }, statusCode: StatusCodes.Status400BadRequest);

            var request = new TextToImageRequest
            {
                Prompt = body.Prompt!.Trim(), NegativePrompt = string.IsNullOrWhiteSpace(body.NegativePrompt) ? null : body.NegativePrompt,
                Steps = body.Steps ?? 30, Guidance = body.Guidance ?? 7.5, Seed = body.Seed ?? Random.Shared.NextInt64(0, uint.MaxValue),
                Count = body.Count ?? 1, Width = body.Width, Height = body.Height, Safety = safety,
            };
            var outDir = OutputFolder(web);
            var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
            var job = web.Board.Start("generate", $"Generate “{Shorten(request.Prompt)}”", async (job, cancel) =>
            {
                var outcome = await StudioGeneration.RunAsync(web.Host.ProjectService, web.Host.ModelCache, request, outDir,
                    p => $"{stamp}-{p.Seed}.png", new JobProgress(job), () => job.Start("generating"), cancel);
                if (!outcome.Allowed) job.Finish(JobState.Refused, outcome.Message ?? "refused", remedy: outcome.Remedy);
                else job.Finish(JobState.Succeeded, $"{outcome.Files.Count} image{(outcome.Files.Count == 1 ? "" : "s")}" +
                    (outcome.Message is { Length: > 0 } note ? $" ({note})" : ""), outcome.Files);
            });
            return JsonBody.Result(web.Board.Snapshot(job), statusCode: StatusCodes.Status202Accepted);
        });

        app.MapGet("/api/images", () =>
        {
            var folder = OutputFolder(web);
            var images = Directory.Exists(folder)
                ? new DirectoryInfo(folder).EnumerateFiles("*.png").OrderByDescending(f => f.LastWriteTimeUtc).Take(200).Select(f => Describe(web, f.FullName)).ToList()
                : [];
            return JsonBody.Result(new { folder, images });
        });

        app.MapGet("/api/images/file", (string path, bool? download) =>
        {
            var full = web.Roots.Resolve(path, StudioWeb.Outputs);
            if (!full.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException($"'{path}' is not a PNG image");
            if (!File.Exists(full)) throw new FileNotFoundException($"no image '{path}'");
            return Results.File(full, "image/png", download == true ? Path.GetFileName(full) : null);
        });
    }

    /// <summary>Where this generation's images go: the open project's output folder when it lies inside the roots, else outputs/.</summary>
    public static string OutputFolder(StudioWeb web) =>
        web.Host.ProjectService.ActiveProject?.OutputFolder is { } projectOut && web.Roots.Contains(projectOut) ? projectOut : web.Roots.Root(StudioWeb.Outputs);

    private static object Describe(StudioWeb web, string path)
    {
        string? parameters = null;
        try { parameters = PngImageFile.ReadText(path).TryGetValue("parameters", out var p) ? p : null; }
        catch (Exception e) when (e is IOException or InvalidDataException or SixLabors.ImageSharp.ImageFormatException) { }
        return new { name = Path.GetFileName(path), url = web.FileUrl(path), download = web.FileUrl(path) + "&download=true", parameters };
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..39] + "…";
}

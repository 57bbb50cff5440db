using DiffusionEngine.Scheduling;
using DiffusionEngine.Images;
using static TorchSharp.torch;

namespace DiffusionEngine.StableDiffusion;

/// <summary>What to generate. Image i of a request uses seed <c>Seed + i</c>, so any single image can be reproduced.</summary>
public sealed record TextToImageRequest
{
    public required string Prompt { get; init; }
    /// <summary>What to steer away from; null: none (SDXL then conditions on zeros, SD 1.x on the empty prompt).</summary>
    public string? NegativePrompt { get; init; }
    /// <summary>"ddim", "euler", or null for the model's own (SDXL: Euler; SD 1.x: DDIM).</summary>
    public string? Sampler { get; init; }
    public int Steps { get; init; } = 30;
    public double Guidance { get; init; } = 7.5;
    public double Eta { get; init; }
    public long Seed { get; init; }
    public int Count { get; init; } = 1;
    /// <summary>Images generated together in one batch.</summary>
    public int BatchSize { get; init; } = 8;
    public int? Width { get; init; }
    public int? Height { get; init; }
    /// <summary>Safe Latent Diffusion against a concept while sampling; null: none.</summary>
    public SafetyGuidance? Safety { get; init; }
}

/// <summary>Text-to-image with classifier-free guidance (DDIM or Euler), for SD 1.x and SDXL.</summary>
public static class TextToImage
{
    /// <summary>The largest width or height generated (twice SDXL's side: more would not fit a CPU's memory in the VAE).</summary>
    public const int MaxSide = 2048;

    /// <summary>
    /// Generates <c>request.Count</c> images: [3, H, W] in [-1, 1] on the CPU, with the parameters that reproduce each.
    /// The initial noise is drawn on the CPU in float32 from a generator seeded per image, so a seed gives the same
    /// image whatever the batch size and (up to arithmetic) the device.
    /// </summary>
    public static List<(Tensor Image, GenerationParameters Parameters)> Generate(StableDiffusionModel model, TextToImageRequest request,
        string modelFingerprint, IReadOnlyList<string> edits, Action<int, int>? onStep = null, CancellationToken cancel = default)
    {
        int width = request.Width ?? model.ImageSize, height = request.Height ?? model.ImageSize;
        int scale = model.VaeScale;
        if (width % scale != 0 || height % scale != 0 || width <= 0 || height <= 0)
            throw new ArgumentException($"width and height must be positive multiples of {scale} (the VAE's downscale factor), got {width}x{height}");
        // Checked before anything is allocated: an 8192-pixel square would need tens of GB in the VAE.
        if (width > MaxSide || height > MaxSide)
            throw new ArgumentException($"width and height may be at most {MaxSide} pixels, got {width}x{height}");
        if (!double.IsFinite(request.Guidance)) throw new ArgumentException($"guidance must be a finite number, got {request.Guidance}");
        if (!double.IsFinite(request.Eta) || request.Eta < 0) throw new ArgumentException($"eta must be a finite number of at least 0, got {request.Eta}");
        request.Safety?.Validated();
        var results = new List<(Tensor, GenerationParameters)>();
        int totalSteps = request.Count * request.Steps, doneSteps = 0;
        using var noGrad = no_grad();
        for (int start = 0; start < request.Count; start += request.BatchSize)
        {
            int n = Math.Min(request.BatchSize, request.Count - start);
            using var scope = NewDisposeScope();
            var noise = Enumerable.Range(start, n).Select(i =>
            {
                using var g = new Generator((ulong)(request.Seed + i));
                return randn([1, model.LatentChannels, height / scale, width / scale], float32, CPU, generator: g);
            }).ToList();
            var latents = cat(noise).to(model.Dtype, model.Device);
            using var cond = model.EncodePrompts(Enumerable.Repeat(request.Prompt, n).ToList(), width, height);
            using var uncond = model.EncodeNegative(request.NegativePrompt is null ? null : Enumerable.Repeat(request.NegativePrompt, n).ToList(), n, width, height);
            using var concept = request.Safety is { IsActive: true } sld ? model.EncodePrompts(Enumerable.Repeat(sld.Concept, n).ToList(), width, height) : null;
            using var scheduler = model.CreateScheduler(request.Sampler);
            var x0 = GuidedSampler.Sample(model.Unet, scheduler, latents, cond, uncond, request.Guidance, request.Steps, request.Eta,
                onStep: (s, _) => onStep?.Invoke(doneSteps + s * n, totalSteps), cancel: cancel,
                safety: concept is null ? null : (request.Safety!, concept));
            doneSteps += n * request.Steps;
            var images = model.DecodeLatents(x0).to(float32).cpu();
            for (int i = 0; i < n; i++)
            {
                var p = new GenerationParameters
                {
                    Prompt = request.Prompt, NegativePrompt = request.NegativePrompt ?? "", Steps = request.Steps,
                    Sampler = scheduler is EulerDiscreteScheduler ? "Euler" : "DDIM",
                    Guidance = request.Guidance, Eta = request.Eta, Seed = request.Seed + start + i, Width = width, Height = height,
                    ModelFingerprint = modelFingerprint, Model = model.Name, Device = model.Device.ToString(), Edits = edits,
                    Safety = request.Safety,
                };
                results.Add((images[i].MoveToOuterDisposeScope(), p));
            }
        }
        return results;
    }
}

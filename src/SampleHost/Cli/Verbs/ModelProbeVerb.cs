using Newtonsoft.Json.Linq;
using SampleHost.Cli;
using DiffusionEngine.Safetensors;
using DiffusionEngine.Scheduling;
using DiffusionEngine.StableDiffusion;
using DiffusionEngine.Unet;
using SampleHost.Hosting;
using static TorchSharp.torch;

namespace SampleHost.Cli.Verbs;

/// <summary>
/// Runs each component on the named input tensors that are present and writes the named outputs, with the
/// tensor names of the reference fixtures (tests/data/reference/alpha and sdxl-alpha, their probe/README.md).
/// </summary>
internal static class ModelProbeVerb
{
    public static Verb Create() => new()
    {
        Name = "model probe",
        Description = "Run each component on named input tensors and write the named outputs (text encoders, prompt embeddings, unet.out, vae.decoded, vae.encoded_mean, ddim.*, sld.*; SDXL also euler.*, euler_zero_neg.*).",
        Arguments = [new ArgumentSpec("dir", "model folder (diffusers layout) or single-file checkpoint")],
        Options =
        [
            new OptionSpec("inputs", "safetensors file with input tensors", Required: true),
            new OptionSpec("out", "safetensors file to write", Required: true),
            new OptionSpec("prompt", "DDIM check prompt (default: the inputs' metadata, else \"a photo of a cat\")"),
            new OptionSpec("negative-prompt", "DDIM check negative prompt (default: metadata, else empty)"),
            new OptionSpec("steps", "DDIM check steps (default: metadata, else 10)"),
            new OptionSpec("guidance", "DDIM check guidance scale (default: metadata, else 7.5)"),
            new OptionSpec("config", "for a single file: a diffusers folder with the configs (default: the bundled ones of its family)"),
            new OptionSpec("device", "cpu, cuda, cuda:N or auto"),
            new OptionSpec("dtype", "float32, float16 or bfloat16", "float32"),
        ],
        Handler = (args, cancel) =>
        {
            var device = args.Device();
            var path = args.Arg("dir");
            using var model = File.Exists(path)
                ? StableDiffusionModel.LoadSingleFile(path, device, args.Dtype(), args.Get("config"))
                : StableDiffusionModel.Load(path, device, args.Dtype());
            using var inputs = SafetensorsFile.Open(args.Require("inputs"));
            var outputs = Run(model, inputs, args, cancel);
            try
            {
                SafetensorsWriter.Write(args.Require("out"), outputs, new Dictionary<string, string> { ["producer"] = "studio model probe" });
                Console.WriteLine($"wrote {string.Join(", ", outputs.Keys)} to {args.Require("out")}");
            }
            finally
            {
                foreach (var t in outputs.Values) t.Dispose();
            }
            return Task.FromResult(0);
        },
    };

    private static Dictionary<string, Tensor> Run(StableDiffusionModel model, SafetensorsFile inputs, ParsedArgs args, CancellationToken cancel)
    {
        using var noGrad = no_grad();
        var result = new Dictionary<string, Tensor>();
        bool Has(params string[] names) => names.All(inputs.Entries.ContainsKey);
        Tensor In(string name, ScalarType? dtype = null)
        {
            using var t = inputs.Read(name);
            return t.to(dtype ?? (t.is_floating_point() ? model.Dtype : t.dtype), model.Device);
        }
        static Tensor Out(Tensor t) => t.to(float32).cpu();

        bool xl = model.Family == ModelFamily.StableDiffusionXL;
        if (Has("text_input_ids"))
        {
            using var ids = In("text_input_ids", int64);
            using var o = model.TextEncoder.Encode(ids);
            result["text_encoder.last_hidden_state"] = Out(o.LastHiddenState);
            if (xl) result["text_encoder.hidden_states_penultimate"] = Out(o.PenultimateHiddenState);
        }
        if (xl && Has("text_input_ids_2"))
        {
            using var ids = In("text_input_ids_2", int64);
            using var o = model.TextEncoder2!.Encode(ids);
            result["text_encoder_2.last_hidden_state"] = Out(o.LastHiddenState);
            result["text_encoder_2.hidden_states_penultimate"] = Out(o.PenultimateHiddenState);
            result["text_encoder_2.text_embeds"] = Out(o.Pooled);
        }
        if (xl && inputs.Metadata.TryGetValue("prompts", out var promptsJson))
        {
            var prompts = JArray.Parse(promptsJson).Select(p => (string)p!).ToList();
            using var cond = model.EncodePrompts(prompts);
            result["prompt_embeds"] = Out(cond.HiddenStates);
            result["pooled_prompt_embeds"] = Out(cond.Added!.TextEmbeds);
            using var negative = model.EncodeNegative([""], 1);
            result["negative_prompt_embeds"] = Out(negative.HiddenStates);
            result["negative_pooled_prompt_embeds"] = Out(negative.Added!.TextEmbeds);
        }
        if (Has("unet.sample", "unet.timestep", "unet.encoder_hidden_states") && (!xl || Has("unet.text_embeds", "unet.time_ids")))
        {
            using var s = In("unet.sample");
            using var t = In("unet.timestep", int64);
            using var c = In("unet.encoder_hidden_states");
            using var text = xl ? In("unet.text_embeds") : null;
            using var timeIds = xl ? In("unet.time_ids") : null;
            using var o = model.Unet.call(s, t, c, xl ? new AddedConditions(text!, timeIds!) : null);
            result["unet.out"] = Out(o);
        }
        if (Has("vae.latents"))
        {
            using var z = In("vae.latents");
            using var scaled = z.to(model.VaeDtype) / model.Vae.Config.ScalingFactor;
            using var x = model.Vae.Decode(scaled);
            result["vae.decoded"] = Out(x);
        }
        if (Has("vae.image"))
        {
            using var x = In("vae.image").to(model.VaeDtype);
            using var mean = model.Vae.Encode(x);
            result["vae.encoded_mean"] = Out(mean);
        }
        // The sampling checks: SD 1.x's DDIM run ("ddim" settings); SDXL's Euler, DDIM and zero-negative Euler runs ("sampling").
        if (Has("ddim.initial_latents"))
            Sample("ddim", "ddim", model, In("ddim.initial_latents"), Settings(inputs, "ddim", args), negativeGiven: true, result, cancel);
        if (!xl && Has("ddim.initial_latents"))
            SafeLatentRuns(model, inputs, result, cancel);
        if (xl && Has("sampling.initial_latents"))
        {
            var settings = Settings(inputs, "sampling", args);
            Sample("euler", "euler", model, In("sampling.initial_latents"), settings, negativeGiven: true, result, cancel);
            Sample("ddim", "ddim", model, In("sampling.initial_latents"), settings, negativeGiven: true, result, cancel);
            Sample("euler", "euler_zero_neg", model, In("sampling.initial_latents"), settings, negativeGiven: false, result, cancel);
            using var ids = model.TimeIds(2);
            result["sampling.add_time_ids"] = Out(ids);
        }
        if (result.Count == 0)
            throw new UsageException($"{inputs.Path}: none of the known input tensors (text_input_ids, unet.sample/unet.timestep/unet.encoder_hidden_states, vae.latents, vae.image, ddim.initial_latents, sampling.initial_latents) is present");
        return result;
    }

    /// <summary>The SLD check's fixed settings (the reference fixture's "SLD check"): the same for any SD 1.x folder.</summary>
    public const string SldPrompt = "a photo of a cat", SldConcept = "a photo of a cat, painting";
    public const int SldSteps = 25;
    public const double SldGuidance = 7.5;

    /// <summary>
    /// Safe Latent Diffusion from ddim.initial_latents: one run per preset (sld.weak/medium/strong/max), Medium with
    /// scale 0 (sld.off), and plain guided sampling (sld.plain); each writes only its final latents.
    /// </summary>
    private static void SafeLatentRuns(StableDiffusionModel model, SafetensorsFile inputs, Dictionary<string, Tensor> result, CancellationToken cancel)
    {
        using var initial = inputs.Read("ddim.initial_latents");
        using var x0 = initial.to(model.Dtype, model.Device);
        int batch = (int)x0.shape[0];
        using var cond = model.EncodePrompts(Enumerable.Repeat(SldPrompt, batch).ToList());
        using var uncond = model.EncodeNegative(Enumerable.Repeat("", batch).ToList(), batch);
        using var concept = model.EncodePrompts(Enumerable.Repeat(SldConcept, batch).ToList());
        var runs = SafetyGuidance.PresetNames.Select(name => (name, (SafetyGuidance?)SafetyGuidance.FromPreset(name, SldConcept)))
            .Append(("off", SafetyGuidance.FromPreset("medium", SldConcept) with { GuidanceScale = 0, Preset = null }))
            .Append(("plain", null));
        foreach (var (name, settings) in runs)
        {
            using var scheduler = model.CreateScheduler("ddim");
            using var latents = GuidedSampler.Sample(model.Unet, scheduler, x0, cond, uncond, SldGuidance, SldSteps, cancel: cancel,
                safety: settings is null ? null : (settings, concept));
            result[$"sld.{name}.final_latents"] = latents.to(float32).cpu();
        }
    }

    private sealed record SamplingSettings(string Prompt, string Negative, int Steps, double Guidance, double Eta);

    /// <summary>The sampling check's settings: the command line's, else the inputs' metadata field <paramref name="field"/>, else defaults.</summary>
    private static SamplingSettings Settings(SafetensorsFile inputs, string field, ParsedArgs args)
    {
        var settings = inputs.Metadata.TryGetValue(field, out var json) ? JObject.Parse(json) : new JObject();
        return new SamplingSettings(
            args.Get("prompt") ?? (string?)settings["prompt"] ?? "a photo of a cat",
            args.Get("negative-prompt") ?? (string?)settings["negative_prompt"] ?? "",
            args.Has("steps") ? args.Int("steps", 1, 1000) : (int?)settings["num_inference_steps"] ?? 10,
            args.Has("guidance") ? args.Double("guidance") : (double?)settings["guidance_scale"] ?? 7.5,
            (double?)settings["eta"] ?? 0);
    }

    /// <summary>One guided sampling run from <paramref name="x0"/> (disposed), writing &lt;run&gt;.timesteps, .final_latents and .image.</summary>
    private static void Sample(string sampler, string run, StableDiffusionModel model, Tensor x0, SamplingSettings s, bool negativeGiven,
        Dictionary<string, Tensor> result, CancellationToken cancel)
    {
        using var _ = x0;
        int batch = (int)x0.shape[0];
        using var cond = model.EncodePrompts(Enumerable.Repeat(s.Prompt, batch).ToList());
        using var uncond = model.EncodeNegative(negativeGiven ? Enumerable.Repeat(s.Negative, batch).ToList() : null, batch);
        using var scheduler = model.CreateScheduler(sampler);
        using var latents = GuidedSampler.Sample(model.Unet, scheduler, x0, cond, uncond, s.Guidance, s.Steps, s.Eta, cancel: cancel);
        if (!run.EndsWith("zero_neg", StringComparison.Ordinal))
            result[$"{run}.timesteps"] = scheduler switch
            {
                EulerDiscreteScheduler euler => tensor(euler.Timesteps.ToArray()),
                DdimScheduler ddim => tensor(ddim.Timesteps),
                _ => throw new InvalidOperationException($"unknown scheduler {scheduler.GetType().Name}"),
            };
        if (scheduler is EulerDiscreteScheduler e && run == "euler") result["euler.sigmas"] = tensor(e.Sigmas.ToArray());
        result[$"{run}.final_latents"] = latents.to(float32).cpu();
        using var image = model.DecodeLatents(latents);
        result[$"{run}.image"] = image.to(float32).cpu();
    }
}

using Newtonsoft.Json.Linq;
using SampleHost.Cli;
using DiffusionEngine.Safetensors;
using DiffusionEngine.StableDiffusion;
using SampleHost.Hosting;
using static TorchSharp.torch;

namespace SampleHost.Cli.Verbs;

/// <summary>
/// Runs each component on the named input tensors that are present and writes the named outputs, with the
/// tensor names of the reference fixture (shared/fixtures/reference/alpha/probe/README.md).
/// </summary>
internal static class ModelProbeVerb
{
    public static Verb Create() => new()
    {
        Name = "model probe",
        Description = "Run each component on named input tensors and write the named outputs (text_encoder.last_hidden_state, unet.out, vae.decoded, vae.encoded_mean, ddim.*).",
        Arguments = [new ArgumentSpec("dir", "model folder (diffusers layout)")],
        Options =
        [
            new OptionSpec("inputs", "safetensors file with input tensors", Required: true),
            new OptionSpec("out", "safetensors file to write", Required: true),
            new OptionSpec("prompt", "DDIM check prompt (default: the inputs' metadata, else \"a photo of a cat\")"),
            new OptionSpec("negative-prompt", "DDIM check negative prompt (default: metadata, else empty)"),
            new OptionSpec("steps", "DDIM check steps (default: metadata, else 10)"),
            new OptionSpec("guidance", "DDIM check guidance scale (default: metadata, else 7.5)"),
            new OptionSpec("device", "cpu, cuda, cuda:N or auto"),
            new OptionSpec("dtype", "float32, float16 or bfloat16", "float32"),
        ],
        Handler = (args, cancel) =>
        {
            var device = args.Device();
            using var model = StableDiffusionModel.Load(args.Arg("dir"), device, args.Dtype());
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

        if (Has("text_input_ids"))
        {
            using var ids = In("text_input_ids", int64);
            using var h = model.TextEncoder.forward(ids);
            result["text_encoder.last_hidden_state"] = Out(h);
        }
        if (Has("unet.sample", "unet.timestep", "unet.encoder_hidden_states"))
        {
            using var s = In("unet.sample");
            using var t = In("unet.timestep", int64);
            using var c = In("unet.encoder_hidden_states");
            using var o = model.Unet.call(s, t, c);
            result["unet.out"] = Out(o);
        }
        if (Has("vae.latents"))
        {
            using var z = In("vae.latents");
            using var scaled = z / model.Vae.Config.ScalingFactor;
            using var x = model.Vae.Decode(scaled);
            result["vae.decoded"] = Out(x);
        }
        if (Has("vae.image"))
        {
            using var x = In("vae.image");
            using var mean = model.Vae.Encode(x);
            result["vae.encoded_mean"] = Out(mean);
        }
        if (Has("ddim.initial_latents"))
        {
            var settings = inputs.Metadata.TryGetValue("ddim", out var json) ? JObject.Parse(json) : new JObject();
            string prompt = args.Get("prompt") ?? (string?)settings["prompt"] ?? "a photo of a cat";
            string negative = args.Get("negative-prompt") ?? (string?)settings["negative_prompt"] ?? "";
            int steps = args.Has("steps") ? args.Int("steps", 1, 1000) : (int?)settings["num_inference_steps"] ?? 10;
            double guidance = args.Has("guidance") ? args.Double("guidance") : (double?)settings["guidance_scale"] ?? 7.5;
            double eta = (double?)settings["eta"] ?? 0;

            using var x0 = In("ddim.initial_latents");
            using var cond = model.EncodePrompts(Enumerable.Repeat(prompt, (int)x0.shape[0]).ToList());
            using var uncond = model.EncodePrompts(Enumerable.Repeat(negative, (int)x0.shape[0]).ToList());
            using var scheduler = model.CreateScheduler();
            using var latents = DdimSampler.Sample(model.Unet, scheduler, x0, cond, uncond, guidance, steps, eta, cancel: cancel);
            result["ddim.timesteps"] = tensor(scheduler.Timesteps);
            result["ddim.final_latents"] = Out(latents);
            using var image = model.DecodeLatents(latents);
            result["ddim.image"] = Out(image);
        }
        if (result.Count == 0)
            throw new UsageException($"{inputs.Path}: none of the known input tensors (text_input_ids, unet.sample/unet.timestep/unet.encoder_hidden_states, vae.latents, vae.image, ddim.initial_latents) is present");
        return result;
    }
}

using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using DiffusionEngine.Scheduling;
using DiffusionEngine.Text;
using DiffusionEngine.Unet;
using DiffusionEngine.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionEngine.StableDiffusion;

/// <summary>
/// A Stable Diffusion model (SD 1.x or SDXL) loaded from a diffusers-layout folder (or a single-file checkpoint) onto one
/// device and dtype: the tokenizers and text encoders, the U-Net, the VAE and the scheduler's config, and how prompts
/// become conditioning.
/// </summary>
public sealed class StableDiffusionModel : IDisposable
{
    /// <summary>The model folder; for a single-file checkpoint, the folder whose configs built the modules.</summary>
    public required ModelFolder Folder { get; init; }
    public required ModelFamily Family { get; init; }

    /// <summary>The checkpoint the weights came from when loaded by <see cref="LoadSingleFile"/>; null for a folder.</summary>
    public string? SingleFilePath { get; init; }

    public required ClipTokenizer Tokenizer { get; init; }
    public required ClipTextModel TextEncoder { get; init; }
    /// <summary>SDXL's second tokenizer (pads with "!", id 0); null for SD 1.x.</summary>
    public ClipTokenizer? Tokenizer2 { get; init; }
    /// <summary>SDXL's second text encoder (OpenCLIP bigG with projection); null for SD 1.x.</summary>
    public ClipTextModelWithProjection? TextEncoder2 { get; init; }
    public required UNet2DConditionModel Unet { get; init; }
    public required AutoencoderKL Vae { get; init; }
    public required SchedulerConfig SchedulerConfig { get; init; }
    public required Device Device { get; init; }
    public required ScalarType Dtype { get; init; }
    public required IReadOnlyList<LoadReport> Reports { get; init; }
    /// <summary>SDXL's model_index flag: with no negative prompt at all, the negative conditioning is zeros.</summary>
    public bool ForceZerosForEmptyPrompt { get; init; }

    private SingleFile.UNetKeyRules? _unetKeys;

    /// <summary>
    /// A U-Net parameter's name in the original checkpoint layout (the LDM/SGM <c>UNetModel</c>, without
    /// <c>model.diffusion_model.</c>), e.g. <c>input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight</c> for
    /// <c>down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight</c>: how LoRA files for A1111 and ComfyUI name
    /// layers. Null when no rule names it.
    /// </summary>
    public string? OriginalUnetName(string diffusersName)
    {
        _unetKeys ??= new SingleFile.UNetKeyRules(SingleFile.UNetLayout.From(Unet.Config));
        return _unetKeys.SourceOf(diffusersName)?.Key[SingleFile.OriginalKeyPrefixes.Unet.Length..];
    }

    /// <summary>The model's name as A1111 shows it: the single file's name without its extension, else the folder's name.</summary>
    public string Name => SingleFilePath is { } file ? Path.GetFileNameWithoutExtension(file) : Path.GetFileName(Folder.Root);

    /// <summary>Image side in pixels at the model's default size (the VAE's sample_size).</summary>
    public int ImageSize => Vae.Config.SampleSize[0];

    public int LatentChannels => Vae.Config.LatentChannels;

    public int VaeScale => Vae.Config.DownscaleFactor;

    /// <summary>The dtype the VAE runs in: float32 when an SDXL VAE's config asks to upcast a float16 model (it overflows in fp16).</summary>
    public ScalarType VaeDtype => VaeDtypeFor(Family, Dtype, Vae.Config);

    /// <summary>As diffusers' SDXL pipeline: float16 SDXL VAEs with force_upcast run in float32; SD 1.x pipelines never upcast.</summary>
    internal static ScalarType VaeDtypeFor(ModelFamily family, ScalarType dtype, VaeConfig vae) =>
        family == ModelFamily.StableDiffusionXL && dtype == ScalarType.Float16 && vae.ForceUpcast ? ScalarType.Float32 : dtype;

    /// <summary>
    /// Loads every component, failing with a message that names each missing, unexpected or mismatched tensor.
    /// Weights go from the memory-mapped files straight into the modules (converted to <paramref name="dtype"/>).
    /// A folder with a <c>text_encoder_2</c> is SDXL.
    /// </summary>
    public static StableDiffusionModel Load(string folder, Device device, ScalarType dtype, string? variant = null, Action<string>? onProgress = null)
    {
        var f = ModelFolder.Open(folder, variant);
        var disposables = new List<IDisposable>();
        try
        {
            var family = f.Has(ModelFolder.TextEncoder2) ? ModelFamily.StableDiffusionXL : ModelFamily.StableDiffusion1;
            onProgress?.Invoke("tokenizer");
            var tokenizer = ClipTokenizer.FromFolder(f.ComponentFolder(ModelFolder.Tokenizer));
            var schedulerConfig = SchedulerConfig.Load(f.ConfigPath(ModelFolder.Scheduler));

            onProgress?.Invoke("text encoder");
            var text = new ClipTextModel(ClipTextConfig.Load(f.ConfigPath(ModelFolder.TextEncoder)));
            disposables.Add(text);
            var reports = new List<LoadReport> { LoadInto(f, ModelFolder.TextEncoder, text, device, dtype, optional: ClipTextModel.OptionalTensors) };

            ClipTokenizer? tokenizer2 = null;
            ClipTextModelWithProjection? text2 = null;
            if (family == ModelFamily.StableDiffusionXL)
            {
                tokenizer2 = ClipTokenizer.FromFolder(f.ComponentFolder(ModelFolder.Tokenizer2));
                text2 = new ClipTextModelWithProjection(ClipTextConfig.Load(f.ConfigPath(ModelFolder.TextEncoder2)));
                disposables.Add(text2);
                reports.Add(LoadInto(f, ModelFolder.TextEncoder2, text2, device, dtype, optional: ClipTextModel.OptionalTensors));
            }

            onProgress?.Invoke("unet");
            var unet = new UNet2DConditionModel(UNetConfig.Load(f.ConfigPath(ModelFolder.Unet)));
            disposables.Add(unet);
            if (unet.Config.UsesTextTime != (family == ModelFamily.StableDiffusionXL))
                throw new ModelLoadException($"{f.ConfigPath(ModelFolder.Unet)}: " + (family == ModelFamily.StableDiffusionXL
                    ? "the folder has a text_encoder_2 (SDXL) but its U-Net takes no added conditions (addition_embed_type \"text_time\")"
                    : "the U-Net takes SDXL's added conditions (addition_embed_type \"text_time\") but the folder has no text_encoder_2"));
            reports.Add(LoadInto(f, ModelFolder.Unet, unet, device, dtype));

            onProgress?.Invoke("vae");
            var vae = new AutoencoderKL(VaeConfig.Load(f.ConfigPath(ModelFolder.Vae)));
            disposables.Add(vae);
            reports.Add(LoadInto(f, ModelFolder.Vae, vae, device, VaeDtypeFor(family, dtype, vae.Config), rename: AutoencoderKL.MapLegacyName));

            return new StableDiffusionModel
            {
                Folder = f, Family = family, Tokenizer = tokenizer, TextEncoder = text, Tokenizer2 = tokenizer2, TextEncoder2 = text2,
                Unet = unet, Vae = vae, SchedulerConfig = schedulerConfig, Device = device, Dtype = dtype, Reports = reports,
                ForceZerosForEmptyPrompt = family == ModelFamily.StableDiffusionXL && f.IndexFlag("force_zeros_for_empty_prompt", true),
            };
        }
        catch
        {
            foreach (var d in disposables) d.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads a single-file SD 1.x checkpoint in the original layout (<c>.safetensors</c>, as A1111 and ComfyUI use them),
    /// each tensor mapped to its diffusers name while it is copied. The modules come from the configs of the diffusers
    /// folder <paramref name="config"/> (its tokenizer too when it has one), else from Stable Diffusion 1.5's published
    /// configs with the CLIP vocabulary of the product data. Every tensor is checked against those configs before any is
    /// copied: a file that does not fit fails naming each tensor that does not (<see cref="ModelLoadException"/>); pickle
    /// files, SDXL and other families are refused naming the file and why.
    /// </summary>
    public static StableDiffusionModel LoadSingleFile(string file, Device device, ScalarType dtype, string? config = null, Action<string>? onProgress = null) =>
        SingleFileModelLoader.Load(file, device, dtype, config, onProgress);

    private static LoadReport LoadInto(ModelFolder f, string component, nn.Module module, Device device, ScalarType dtype,
        Func<string, string>? rename = null, IReadOnlySet<string>? optional = null)
    {
        module.to(device, dtype);
        module.eval();
        foreach (var p in module.parameters()) p.requires_grad = false;
        using var file = SafetensorsFile.Open(f.WeightsPath(component));
        return WeightLoader.Load(component, module, file, rename, optional);
    }

    /// <summary>
    /// The conditioning of <paramref name="prompts"/> on the model's device and dtype: SD 1.x the text encoder's last
    /// hidden states [B, 77, D]; SDXL both encoders' penultimate states side by side [B, 77, D1 + D2], the second's
    /// projected pooled output and the time ids of an image of <paramref name="width"/> x <paramref name="height"/>
    /// (defaults: the model's size), uncropped (SDXL's defaults: original = target size, crop (0, 0)).
    /// </summary>
    public PromptConditioning EncodePrompts(IReadOnlyList<string> prompts, int? width = null, int? height = null)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var ids = Tokenizer.EncodeBatch(prompts).to(Device);
        if (Family == ModelFamily.StableDiffusion1)
            return new PromptConditioning(TextEncoder.forward(ids).MoveToOuterDisposeScope(), null);

        using var first = TextEncoder.Encode(ids);
        using var second = TextEncoder2!.Encode(Tokenizer2!.EncodeBatch(prompts).to(Device));
        var hidden = cat([first.PenultimateHiddenState, second.PenultimateHiddenState], -1);  // [B, 77, D1 + D2]
        var added = new AddedConditions(second.Pooled.alias().MoveToOuterDisposeScope(), TimeIds(prompts.Count, width, height).MoveToOuterDisposeScope());
        return new PromptConditioning(hidden.MoveToOuterDisposeScope(), added);
    }

    /// <summary>
    /// The conditioning of <paramref name="prompt"/> with learned input token embeddings <paramref name="learned"/>
    /// [K, D] spliced in after the start token (SD 1.x: D is the text encoder's width; SDXL: both encoders' widths side by
    /// side, split between them). Gradients flow into <paramref name="learned"/> when enabled.
    /// </summary>
    public PromptConditioning EncodeWithLearnedTokens(string prompt, Tensor learned)
    {
        using var scope = NewDisposeScope();
        var ids = Tokenizer.EncodeBatch([prompt]).to(Device);
        if (Family == ModelFamily.StableDiffusion1)
        {
            using var output = TextEncoder.Encode(ids, learned);
            return new PromptConditioning(output.LastHiddenState.alias().MoveToOuterDisposeScope(), null);
        }
        long d1 = TextEncoder.Config.HiddenSize;
        if (learned.dim() != 2 || learned.shape[1] != d1 + TextEncoder2!.Config.HiddenSize)
            throw new ArgumentException($"learned tokens must be [K, {d1 + TextEncoder2!.Config.HiddenSize}] (both encoders' widths), got [{string.Join(", ", learned.shape)}]", nameof(learned));
        using var first = TextEncoder.Encode(ids, learned[.., ..(int)d1]);
        using var second = TextEncoder2.Encode(Tokenizer2!.EncodeBatch([prompt]).to(Device), learned[.., (int)d1..]);
        var hidden = cat([first.PenultimateHiddenState, second.PenultimateHiddenState], -1);
        var added = new AddedConditions(second.Pooled.alias().MoveToOuterDisposeScope(), TimeIds(1).MoveToOuterDisposeScope());
        return new PromptConditioning(hidden.MoveToOuterDisposeScope(), added);
    }

    /// <summary>The input token embeddings of <paramref name="ids"/> [K]: [K, D] (SDXL: both encoders', side by side), no gradient.</summary>
    public Tensor EmbedTokens(Tensor ids)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var onDevice = ids.to(Device);
        var first = TextEncoder.EmbedTokens(onDevice);
        var result = Family == ModelFamily.StableDiffusion1 ? first : cat([first, TextEncoder2!.EmbedTokens(onDevice)], -1);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The number of token ids the text encoder(s) know.</summary>
    public int VocabularySize => TextEncoder.Config.VocabSize;

    /// <summary>
    /// The negative conditioning: of the given prompts; or, with none (null), SDXL's zeros when the model asks for them
    /// (force_zeros_for_empty_prompt), else the empty prompt's.
    /// </summary>
    public PromptConditioning EncodeNegative(IReadOnlyList<string>? negatives, int count, int? width = null, int? height = null)
    {
        if (negatives is not null) return EncodePrompts(negatives, width, height);
        var empty = EncodePrompts(Enumerable.Repeat("", count).ToList(), width, height);
        if (!ForceZerosForEmptyPrompt) return empty;
        using var _ = empty;
        return new PromptConditioning(zeros_like(empty.HiddenStates),
            new AddedConditions(zeros_like(empty.Added!.TextEmbeds), empty.Added.TimeIds.clone()));
    }

    /// <summary>SDXL's micro-conditioning [B, 6]: original size (h, w), crop top-left (0, 0), target size (h, w), float32 as diffusers' add_time_ids.</summary>
    public Tensor TimeIds(int batch, int? width = null, int? height = null)
    {
        int w = width ?? ImageSize, h = height ?? ImageSize;
        var row = new float[] { h, w, 0, 0, h, w };
        return tensor(Enumerable.Repeat(row, batch).SelectMany(r => r).ToArray(), [batch, 6], ScalarType.Float32).to(Dtype, Device);
    }

    /// <summary>The model's scheduler: its own kind (Euler for SDXL's EulerDiscreteScheduler, DDIM standing in for the others), or the one named.</summary>
    /// <param name="kind">null (the model's), "ddim" or "euler".</param>
    public IInferenceScheduler CreateScheduler(string? kind = null) => (kind ?? (SchedulerConfig.IsEuler ? "euler" : "ddim")) switch
    {
        "euler" => new EulerDiscreteScheduler(SchedulerConfig),
        "ddim" => new DdimScheduler(SchedulerConfig),
        var other => throw new ArgumentException($"unknown sampler '{other}': expected ddim or euler"),
    };

    /// <summary>A DDIM scheduler on the model's noise schedule (what ESD samples x_t with).</summary>
    public DdimScheduler CreateDdimScheduler() => new(SchedulerConfig);

    /// <summary>Images [B, 3, H, W] in [-1, 1] from unscaled latents (the VAE in <see cref="VaeDtype"/>).</summary>
    public Tensor DecodeLatents(Tensor latents)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return Vae.Decode(latents.to(VaeDtype) / Vae.Config.ScalingFactor).clamp(-1, 1).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        TextEncoder.Dispose();
        TextEncoder2?.Dispose();
        Unet.Dispose();
        Vae.Dispose();
    }
}

using Newtonsoft.Json.Linq;
using DiffusionEngine.IO;

namespace ShapesWorld.Training;

/// <summary>
/// The bundled model's architecture: SD 1.x-family configs sized for 32x32 images on two CPU cores.
/// VAE: three blocks (downscale 4) -> 4x8x8 latents. U-Net: two cross-attention levels on 8x8 latents.
/// Text encoder: a three-layer CLIP text model (people-style captions need word order and lists read) over the world's own vocabulary.
/// </summary>
public static class WorldModelConfigs
{
    public const int ImageSize = 32;
    public const int TextHidden = 64;

    /// <summary>The shipped U-Net's channels per level.</summary>
    public static readonly IReadOnlyList<int> UnetChannels = [48, 96];

    /// <summary>The shipped text encoder's layers.</summary>
    public const int TextLayers = 3;

    public static JObject Unet() => Unet(UnetChannels);

    public static JObject Unet(IReadOnlyList<int> channels) => new()
    {
        ["_class_name"] = "UNet2DConditionModel",
        ["sample_size"] = ImageSize / 4,
        ["in_channels"] = 4,
        ["out_channels"] = 4,
        ["down_block_types"] = new JArray(channels.Select(_ => "CrossAttnDownBlock2D")),
        ["up_block_types"] = new JArray(channels.Select(_ => "CrossAttnUpBlock2D")),
        ["mid_block_type"] = "UNetMidBlock2DCrossAttn",
        ["block_out_channels"] = new JArray(channels),
        ["layers_per_block"] = 1,
        ["attention_head_dim"] = 4,
        ["cross_attention_dim"] = TextHidden,
        ["norm_num_groups"] = 16,
        ["norm_eps"] = 1e-5,
        ["flip_sin_to_cos"] = true,
        ["freq_shift"] = 0,
        ["act_fn"] = "silu",
        ["use_linear_projection"] = false,
    };

    public static JObject Vae(double scalingFactor) => new()
    {
        ["_class_name"] = "AutoencoderKL",
        ["in_channels"] = 3,
        ["out_channels"] = 3,
        ["down_block_types"] = new JArray("DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"),
        ["up_block_types"] = new JArray("UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"),
        ["block_out_channels"] = new JArray(32, 64, 64),
        ["layers_per_block"] = 1,
        ["latent_channels"] = 4,
        ["norm_num_groups"] = 16,
        ["sample_size"] = ImageSize,
        ["scaling_factor"] = scalingFactor,
        ["act_fn"] = "silu",
    };

    public static JObject TextEncoder(int vocabSize) => TextEncoder(vocabSize, TextLayers);

    public static JObject TextEncoder(int vocabSize, int layers) => new()
    {
        ["architectures"] = new JArray("CLIPTextModel"),
        ["model_type"] = "clip_text_model",
        ["vocab_size"] = vocabSize,
        ["hidden_size"] = TextHidden,
        ["intermediate_size"] = 4 * TextHidden,
        ["num_hidden_layers"] = layers,
        ["num_attention_heads"] = 4,
        ["max_position_embeddings"] = 77,
        ["hidden_act"] = "quick_gelu",
        ["layer_norm_eps"] = 1e-5,
    };

    /// <summary>SD 1.x's DDIM settings.</summary>
    public static JObject Scheduler() => new()
    {
        ["_class_name"] = "DDIMScheduler",
        ["beta_start"] = 0.00085,
        ["beta_end"] = 0.012,
        ["beta_schedule"] = "scaled_linear",
        ["num_train_timesteps"] = 1000,
        ["steps_offset"] = 1,
        ["set_alpha_to_one"] = false,
        ["clip_sample"] = false,
        ["prediction_type"] = "epsilon",
        ["timestep_spacing"] = "leading",
    };

    public static JObject ModelIndex() => new()
    {
        ["_class_name"] = "StableDiffusionPipeline",
        ["scheduler"] = new JArray("diffusers", "DDIMScheduler"),
        ["text_encoder"] = new JArray("transformers", "CLIPTextModel"),
        ["tokenizer"] = new JArray("transformers", "CLIPTokenizer"),
        ["unet"] = new JArray("diffusers", "UNet2DConditionModel"),
        ["vae"] = new JArray("diffusers", "AutoencoderKL"),
        ["safety_checker"] = new JArray(JValue.CreateNull(), JValue.CreateNull()),
        ["feature_extractor"] = new JArray(JValue.CreateNull(), JValue.CreateNull()),
        ["requires_safety_checker"] = false,
    };

    public static void WriteJson(string path, JObject o)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, o.ToString(Newtonsoft.Json.Formatting.Indented) + "\n");
    }
}

using DiffusionEngine.SingleFile;
using DiffusionEngine.Vae;

namespace DiffusionEngine.StableDiffusion;

/// <summary>
/// SDXL base single files (SGM layout) as far as the engine goes before it builds SDXL modules: recognised
/// (<see cref="SingleFileCheckpoint.Open"/>) and mapped onto diffusers' names for the unet, vae, text_encoder (CLIP-L,
/// <c>CLIPTextModel</c>) and text_encoder_2 (OpenCLIP bigG as <c>CLIPTextModelWithProjection</c>: <c>text_model.*</c>,
/// <c>text_projection.weight</c>).
/// </summary>
/// <remarks>
/// To load, once <c>UNet2DConditionModel</c> builds SDXL configs and a <c>CLIPTextModelWithProjection</c> exists: open the
/// file, build the four modules from the configs, then
/// <c>SingleFileModules.Load(checkpoint, SdxlSingleFile.Layout(configs), new Dictionary&lt;string, nn.Module&gt; { ["text_encoder"] = ..., ["text_encoder_2"] = ..., ["unet"] = ..., ["vae"] = ... })</c>
/// (every tensor checked before any is copied, as for SD 1.x). <c>UNetLayout.From(UNetConfig)</c> can then replace
/// <see cref="UNetLayout.Load"/> here.
/// </remarks>
internal static class SdxlSingleFile
{
    /// <summary>The key layout of an SDXL single file for the configs in a diffusers folder (default: SDXL base 1.0's, product data).</summary>
    public static SingleFileLayout Layout(string? configFolder = null)
    {
        var configs = ModelFolder.Open(configFolder ?? ProductData.SdxlConfigs);
        return SingleFileLayout.StableDiffusionXL(UNetLayout.Load(configs.ConfigPath(ModelFolder.Unet)),
            VaeConfig.Load(configs.ConfigPath(ModelFolder.Vae)).BlockOutChannels.Count);
    }
}

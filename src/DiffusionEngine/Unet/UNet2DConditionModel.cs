using DiffusionEngine.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Unet;

/// <summary>
/// diffusers' UNet2DConditionModel for SD 1.x and SDXL configs: predicts the noise in a latent from the
/// timestep, the text encoders' hidden states and, for a "text_time" model (SDXL), the added conditions.
/// Parameter names equal diffusers' state_dict keys.
/// </summary>
public sealed class UNet2DConditionModel : nn.Module<Tensor, Tensor, Tensor, AddedConditions?, Tensor>
{
    private readonly Conv2d conv_in;
    private readonly Timesteps time_proj;
    private readonly TimestepEmbedding time_embedding;
    private readonly Timesteps? add_time_proj;
    private readonly TimestepEmbedding? add_embedding;
    private readonly ModuleList<UNetDownBlock> down_blocks;
    private readonly UNetMidBlock2DCrossAttn? mid_block;
    private readonly ModuleList<UNetUpBlock> up_blocks;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;
    private readonly int _upsamplerCount;

    public UNetConfig Config { get; }

    public UNet2DConditionModel(UNetConfig config) : base(nameof(UNet2DConditionModel))
    {
        config.Validate();
        Config = config;
        var c = config;
        int n = c.BlockCount;
        long temb = c.TimeEmbedDim;

        conv_in = nn.Conv2d(c.InChannels, c.BlockOutChannels[0], c.ConvInKernel, stride: 1, padding: (c.ConvInKernel - 1) / 2, device: ModuleBuild.Device);
        time_proj = new Timesteps(c.BlockOutChannels[0], c.FlipSinToCos, c.FreqShift);
        time_embedding = new TimestepEmbedding(c.BlockOutChannels[0], temb);
        if (c.UsesTextTime)
        {
            add_time_proj = new Timesteps(c.AdditionTimeEmbedDim!.Value, c.FlipSinToCos, c.FreqShift);
            add_embedding = new TimestepEmbedding(c.ProjectionClassEmbeddingsInputDim!.Value, temb);
        }

        var down = new UNetDownBlock[n];
        int output = c.BlockOutChannels[0];
        for (int i = 0; i < n; i++)
        {
            int input = output;
            output = c.BlockOutChannels[i];
            bool isFinal = i == n - 1;
            down[i] = c.DownBlockTypes[i] == UNetConfig.CrossAttnDownBlock
                ? new CrossAttnDownBlock2D(input, output, temb, c.LayersPerBlock[i], c.TransformerLayersPerBlock[i], !isFinal,
                    c.NormNumGroups, c.NormEps, c.DownsamplePadding, c.AttentionHeads[i], c.CrossAttentionDim[i], c.UseLinearProjection, c.Dropout)
                : new DownBlock2D(input, output, temb, c.LayersPerBlock[i], !isFinal, c.NormNumGroups, c.NormEps, c.DownsamplePadding, c.Dropout);
        }
        down_blocks = nn.ModuleList(down);

        if (c.MidBlockType == UNetConfig.CrossAttnMidBlock)
            mid_block = new UNetMidBlock2DCrossAttn(c.BlockOutChannels[^1], temb, c.TransformerLayersPerBlock[^1], c.NormNumGroups,
                c.NormEps, c.MidBlockScaleFactor, c.AttentionHeads[^1], c.CrossAttentionDim[^1], c.UseLinearProjection, c.Dropout);

        var up = new UNetUpBlock[n];
        var reversed = c.BlockOutChannels.Reverse().ToArray();
        output = reversed[0];
        for (int i = 0; i < n; i++)
        {
            int r = n - 1 - i; // the matching down block
            bool isFinal = i == n - 1;
            int prevOutput = output;
            output = reversed[i];
            int input = reversed[Math.Min(i + 1, n - 1)];
            if (!isFinal) _upsamplerCount++;
            up[i] = c.UpBlockTypes[i] == UNetConfig.CrossAttnUpBlock
                ? new CrossAttnUpBlock2D(input, prevOutput, output, temb, c.LayersPerBlock[r] + 1, c.TransformerLayersPerBlock[r], !isFinal,
                    c.NormNumGroups, c.NormEps, c.AttentionHeads[r], c.CrossAttentionDim[r], c.UseLinearProjection, c.Dropout)
                : new UpBlock2D(input, prevOutput, output, temb, c.LayersPerBlock[r] + 1, !isFinal, c.NormNumGroups, c.NormEps, c.Dropout);
        }
        up_blocks = nn.ModuleList(up);

        conv_norm_out = Norms.GroupNorm(c.NormNumGroups, c.BlockOutChannels[0], c.NormEps);
        conv_out = nn.Conv2d(c.BlockOutChannels[0], c.OutChannels, c.ConvOutKernel, stride: 1, padding: (c.ConvOutKernel - 1) / 2, device: ModuleBuild.Device);
        RegisterComponents();
    }

    /// <param name="sample">[B, in_channels, H, W] noisy latents, in the module's dtype.</param>
    /// <param name="timestep">[B], or a scalar / [1] used for the whole batch (int64 or floating).</param>
    /// <param name="encoderHiddenStates">[B, tokens, cross_attention_dim] text encoder output, in the module's dtype.</param>
    /// <param name="added">A "text_time" model's added conditions (required there; null for SD 1.x).</param>
    /// <returns>[B, out_channels, H, W] predicted noise.</returns>
    public override Tensor forward(Tensor sample, Tensor timestep, Tensor encoderHiddenStates, AddedConditions? added)
    {
        if (Config.UsesTextTime != added is not null)
            throw new ArgumentException(Config.UsesTextTime
                ? "this U-Net (addition_embed_type \"text_time\", SDXL) needs the added conditions text_embeds and time_ids"
                : "this U-Net takes no added conditions (it has no addition embedding)", nameof(added));
        if (sample.dim() != 4 || sample.shape[1] != Config.InChannels)
            throw new ArgumentException($"sample must be [B, {Config.InChannels}, H, W], got [{string.Join(", ", sample.shape)}]", nameof(sample));
        if (encoderHiddenStates.dim() != 3 || encoderHiddenStates.shape[0] != sample.shape[0])
            throw new ArgumentException($"encoderHiddenStates must be [{sample.shape[0]}, tokens, dim], got [{string.Join(", ", encoderHiddenStates.shape)}]", nameof(encoderHiddenStates));
        var weightType = conv_in.weight!.dtype;
        if (sample.dtype != weightType || encoderHiddenStates.dtype != weightType)
            throw new ArgumentException($"inputs must have the module's dtype {weightType}; got sample {sample.dtype}, encoderHiddenStates {encoderHiddenStates.dtype}");

        using var scope = NewDisposeScope();
        long batch = sample.shape[0];

        // Sizes that are not a multiple of the total down factor round down on the way down, so each
        // upsampler is told the size of the skip it meets.
        long factor = 1L << _upsamplerCount;
        bool forwardUpsampleSize = sample.shape[2] % factor != 0 || sample.shape[3] % factor != 0;

        if (Config.CenterInputSample) sample = 2 * sample - 1.0;

        var t = timestep.dim() == 0 ? timestep.unsqueeze(0) : timestep;
        if (t.dim() != 1 || (t.shape[0] != 1 && t.shape[0] != batch))
            throw new ArgumentException($"timestep must be a scalar, [1] or [{batch}], got [{string.Join(", ", timestep.shape)}]", nameof(timestep));
        t = t.to(sample.device).expand(batch);
        // Timesteps always yields float32; like diffusers, cast to the sample's dtype for the embedding MLP.
        var tEmb = time_proj.forward(t).to(sample.dtype);
        var emb = time_embedding.forward(tEmb);
        if (added is not null) emb = emb + AugmentedEmbedding(added, batch, emb.dtype);

        var h = conv_in.forward(sample);
        var skips = new List<Tensor> { h };
        foreach (var block in down_blocks) h = block.Forward(h, emb, encoderHiddenStates, skips);

        if (mid_block is not null) h = mid_block.forward(h, emb, encoderHiddenStates);

        for (int i = 0; i < up_blocks.Count; i++)
        {
            var block = up_blocks[i];
            int count = block.ResnetCount;
            var own = skips.GetRange(skips.Count - count, count);
            skips.RemoveRange(skips.Count - count, count);
            long[]? size = i < up_blocks.Count - 1 && forwardUpsampleSize ? skips[^1].shape[2..] : null;
            h = block.Forward(h, own, emb, encoderHiddenStates, size);
        }

        h = conv_out.forward(nn.functional.silu(conv_norm_out.forward(h)));
        return scope.MoveToOuter(h);
    }

    /// <summary>An SD 1.x U-Net's forward (no added conditions).</summary>
    public Tensor forward(Tensor sample, Tensor timestep, Tensor encoderHiddenStates) => forward(sample, timestep, encoderHiddenStates, null);

    /// <summary>An SD 1.x U-Net's call (no added conditions), through the module's hooks.</summary>
    public Tensor call(Tensor sample, Tensor timestep, Tensor encoderHiddenStates) => call(sample, timestep, encoderHiddenStates, null);

    /// <summary>
    /// diffusers' get_aug_embed for "text_time": each of the 6 time ids embedded sinusoidally (add_time_proj), appended to
    /// text_embeds (text first), then add_embedding's MLP. [B, time_embed_dim]
    /// </summary>
    private Tensor AugmentedEmbedding(AddedConditions added, long batch, ScalarType dtype)
    {
        var (text, ids) = (added.TextEmbeds, added.TimeIds);
        if (text.dim() != 2 || text.shape[0] != batch || ids.dim() != 2 || ids.shape[0] != batch)
            throw new ArgumentException($"text_embeds must be [{batch}, P] and time_ids [{batch}, 6]; got [{string.Join(", ", text.shape)}] and [{string.Join(", ", ids.shape)}]");
        var timeEmbeds = add_time_proj!.forward(ids.flatten()).reshape(batch, -1);              // [B, 6 x addition_time_embed_dim]
        var addEmbeds = cat([text.to(timeEmbeds.dtype), timeEmbeds], -1).to(dtype);            // [B, projection_class_embeddings_input_dim]
        return add_embedding!.forward(addEmbeds);
    }
}

namespace DiffusionEngine.Tests.SingleFile;

/// <summary>
/// The tensor names and shapes of Stable Diffusion 1.5's published single file (v1-5-pruned-emaonly), written out from
/// the original code's construction (CompVis ldm: openaimodel.UNetModel with model_channels 320, channel_mult
/// [1, 2, 4, 4], 2 res blocks, attention at the first three levels, context 768; autoencoder Encoder/Decoder with ch 128,
/// ch_mult [1, 2, 4, 4], 2 res blocks; transformers' CLIP ViT-L/14 text model), independently of the engine's key rules.
/// </summary>
public static class Sd15OriginalKeys
{
    public sealed record Tensor(string Name, long[] Shape, string Dtype = "F16");

    public static IReadOnlyList<Tensor> All() => [.. Unet(), .. Vae(), .. TextEncoder(), .. Extras()];

    public static IReadOnlyList<Tensor> Unet()
    {
        var t = new List<Tensor>();
        const string p = "model.diffusion_model.";
        void Add(string name, params long[] shape) => t.Add(new(p + name, shape));
        void Conv(string name, long cout, long cin, long k) { Add(name + ".weight", cout, cin, k, k); Add(name + ".bias", cout); }
        void Linear(string name, long cout, long cin, bool bias = true) { Add(name + ".weight", cout, cin); if (bias) Add(name + ".bias", cout); }
        void Norm(string name, long c) { Add(name + ".weight", c); Add(name + ".bias", c); }
        void ResBlock(string name, long cin, long cout)
        {
            Norm($"{name}.in_layers.0", cin);
            Conv($"{name}.in_layers.2", cout, cin, 3);
            Linear($"{name}.emb_layers.1", cout, 1280);
            Norm($"{name}.out_layers.0", cout);
            Conv($"{name}.out_layers.3", cout, cout, 3);
            if (cin != cout) Conv($"{name}.skip_connection", cout, cin, 1);
        }
        void SpatialTransformer(string name, long c)
        {
            Norm($"{name}.norm", c);
            Conv($"{name}.proj_in", c, c, 1);
            var b = $"{name}.transformer_blocks.0";
            Linear($"{b}.attn1.to_q", c, c, bias: false);
            Linear($"{b}.attn1.to_k", c, c, bias: false);
            Linear($"{b}.attn1.to_v", c, c, bias: false);
            Linear($"{b}.attn1.to_out.0", c, c);
            Linear($"{b}.ff.net.0.proj", 8 * c, c); // GEGLU: two halves of 4c
            Linear($"{b}.ff.net.2", c, 4 * c);
            Linear($"{b}.attn2.to_q", c, c, bias: false);
            Linear($"{b}.attn2.to_k", c, 768, bias: false);
            Linear($"{b}.attn2.to_v", c, 768, bias: false);
            Linear($"{b}.attn2.to_out.0", c, c);
            Norm($"{b}.norm1", c);
            Norm($"{b}.norm2", c);
            Norm($"{b}.norm3", c);
            Conv($"{name}.proj_out", c, c, 1);
        }

        long[] mult = [1, 2, 4, 4];
        Linear("time_embed.0", 1280, 320);
        Linear("time_embed.2", 1280, 1280);
        Conv("input_blocks.0.0", 320, 4, 3);
        var skips = new Stack<long>([320]);
        long ch = 320;
        int block = 1;
        for (int level = 0; level < 4; level++)
        {
            for (int r = 0; r < 2; r++, block++)
            {
                ResBlock($"input_blocks.{block}.0", ch, mult[level] * 320);
                ch = mult[level] * 320;
                if (level < 3) SpatialTransformer($"input_blocks.{block}.1", ch);
                skips.Push(ch);
            }
            if (level == 3) continue;
            Conv($"input_blocks.{block}.0.op", ch, ch, 3);
            skips.Push(ch);
            block++;
        }
        ResBlock("middle_block.0", ch, ch);
        SpatialTransformer("middle_block.1", ch);
        ResBlock("middle_block.2", ch, ch);
        block = 0;
        for (int level = 3; level >= 0; level--)
            for (int i = 0; i < 3; i++, block++)
            {
                ResBlock($"output_blocks.{block}.0", ch + skips.Pop(), mult[level] * 320);
                ch = mult[level] * 320;
                int next = 1;
                if (level < 3) SpatialTransformer($"output_blocks.{block}.{next++}", ch);
                if (level > 0 && i == 2) Conv($"output_blocks.{block}.{next}.conv", ch, ch, 3);
            }
        Norm("out.0", 320);
        Conv("out.2", 4, 320, 3);
        return t;
    }

    public static IReadOnlyList<Tensor> Vae()
    {
        var t = new List<Tensor>();
        const string p = "first_stage_model.";
        void Add(string name, params long[] shape) => t.Add(new(p + name, shape));
        void Conv(string name, long cout, long cin, long k) { Add(name + ".weight", cout, cin, k, k); Add(name + ".bias", cout); }
        void Norm(string name, long c) { Add(name + ".weight", c); Add(name + ".bias", c); }
        void Resnet(string name, long cin, long cout)
        {
            Norm($"{name}.norm1", cin);
            Conv($"{name}.conv1", cout, cin, 3);
            Norm($"{name}.norm2", cout);
            Conv($"{name}.conv2", cout, cout, 3);
            if (cin != cout) Conv($"{name}.nin_shortcut", cout, cin, 1);
        }
        void Mid(string coder, long c)
        {
            Resnet($"{coder}.mid.block_1", c, c);
            Norm($"{coder}.mid.attn_1.norm", c);
            foreach (var proj in new[] { "q", "k", "v", "proj_out" }) Conv($"{coder}.mid.attn_1.{proj}", c, c, 1);
            Resnet($"{coder}.mid.block_2", c, c);
        }

        long[] mult = [1, 2, 4, 4];
        Conv("encoder.conv_in", 128, 3, 3);
        long ch = 128;
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 2; j++)
            {
                Resnet($"encoder.down.{i}.block.{j}", ch, 128 * mult[i]);
                ch = 128 * mult[i];
            }
            if (i < 3) Conv($"encoder.down.{i}.downsample.conv", ch, ch, 3);
        }
        Mid("encoder", ch);
        Norm("encoder.norm_out", ch);
        Conv("encoder.conv_out", 8, ch, 3); // mean and log-variance
        Conv("decoder.conv_in", ch, 4, 3);
        Mid("decoder", ch);
        for (int i = 3; i >= 0; i--)
        {
            for (int j = 0; j < 3; j++)
            {
                Resnet($"decoder.up.{i}.block.{j}", ch, 128 * mult[i]);
                ch = 128 * mult[i];
            }
            if (i > 0) Conv($"decoder.up.{i}.upsample.conv", ch, ch, 3);
        }
        Norm("decoder.norm_out", 128);
        Conv("decoder.conv_out", 3, 128, 3);
        Conv("quant_conv", 8, 8, 1);
        Conv("post_quant_conv", 4, 4, 1);
        return t;
    }

    public static IReadOnlyList<Tensor> TextEncoder()
    {
        var t = new List<Tensor>();
        const string p = "cond_stage_model.transformer.text_model.";
        void Add(string name, params long[] shape) => t.Add(new(p + name, shape));
        void Linear(string name, long cout, long cin) { Add(name + ".weight", cout, cin); Add(name + ".bias", cout); }
        void Norm(string name) { Add(name + ".weight", 768); Add(name + ".bias", 768); }
        Add("embeddings.token_embedding.weight", 49408, 768);
        Add("embeddings.position_embedding.weight", 77, 768);
        t.Add(new(p + "embeddings.position_ids", [1, 77], "I64"));
        for (int n = 0; n < 12; n++)
        {
            var l = $"encoder.layers.{n}";
            foreach (var proj in new[] { "k_proj", "v_proj", "q_proj", "out_proj" }) Linear($"{l}.self_attn.{proj}", 768, 768);
            Norm($"{l}.layer_norm1");
            Linear($"{l}.mlp.fc1", 3072, 768);
            Linear($"{l}.mlp.fc2", 768, 3072);
            Norm($"{l}.layer_norm2");
        }
        Norm("final_layer_norm");
        return t;
    }

    /// <summary>What the original training code saves beside the models: the DDPM schedule buffers and the EMA counters.</summary>
    public static IReadOnlyList<Tensor> Extras() =>
    [
        .. new[] { "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
            "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod", "posterior_variance",
            "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2" }.Select(n => new Tensor(n, [1000], "F32")),
        new("model_ema.decay", [], "F32"),
        new("model_ema.num_updates", [], "I32"),
    ];
}

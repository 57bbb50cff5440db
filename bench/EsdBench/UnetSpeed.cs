using System.Diagnostics;
using DiffusionEngine.Unet;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EsdBench;

/// <summary>
/// The U-Net's forward (and forward + backward) time and achieved GFLOP/s at a config's shapes with random weights,
/// per batch and dtype, next to a large matrix multiply's GFLOP/s measured in the same run: how far the forward is
/// from what the cores can do. FLOPs are counted from the shapes each convolution, linear layer and attention saw
/// (2 per multiply-add; norms and element-wise work left out, as usual).
/// </summary>
internal static class UnetSpeed
{
    public static int Run(Dictionary<string, string> options)
    {
        string config = options.GetValueOrDefault("config") ?? Path.Combine(AppContext.BaseDirectory, "data", "sd15-configs", "unet", "config.json");
        int latent = int.Parse(options.GetValueOrDefault("latent") ?? "64");
        var batches = (options.GetValueOrDefault("batches") ?? "1,2").Split(',').Select(int.Parse).ToList();
        var dtypes = (options.GetValueOrDefault("dtypes") ?? "float32,bfloat16").Split(',').Select(ParseDtype).ToList();
        int runs = int.Parse(options.GetValueOrDefault("runs") ?? "3");
        bool backward = (options.GetValueOrDefault("backward") ?? "no") == "yes";
        int matmul = int.Parse(options.GetValueOrDefault("matmul") ?? "4096");

        Console.WriteLine($"config {config}; latent {latent}x{latent}; torch threads {get_num_threads()}; {runs} timed runs after one warm-up");
        Console.WriteLine($"one TorchSharp call (in-place add on one element, explicit Scalar): {CallMicroseconds():F2} µs; " +
                          $"with a new tensor in a dispose scope: {CallMicroseconds(allocating: true):F2} µs");
        foreach (var dtype in dtypes)
            Console.WriteLine($"matmul {matmul}x{matmul} {dtype}: {MatmulGflops(matmul, dtype):F1} GFLOP/s");

        var unetConfig = UNetConfig.Load(config);
        using var unet = new UNet2DConditionModel(unetConfig);
        unet.eval();
        foreach (var p in unet.parameters()) p.requires_grad = false;
        long contextDim = unetConfig.CrossAttentionDim[0];
        foreach (var dtype in dtypes)
        {
            unet.to(dtype);
            foreach (int batch in batches)
            {
                using var x = randn([batch, unetConfig.InChannels, latent, latent]).to(dtype);
                using var t = full([batch], 500L, int64);
                using var context = randn([batch, 77, contextDim]).to(dtype);
                double flops = CountForwardFlops(unet, latent, batch);
                double forward = Seconds(runs, () =>
                {
                    using var noGrad = no_grad();
                    using var scope = NewDisposeScope();
                    unet.call(x, t, context, null);
                });
                // Managed allocation per forward (tensor handles, scopes, Scalars): what the .NET side costs besides LibTorch.
                long allocated = GC.GetAllocatedBytesForCurrentThread();
                int gen0 = GC.CollectionCount(0);
                using (no_grad())
                using (var probe = NewDisposeScope())
                    unet.call(x, t, context, null);
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
                string line = $"{dtype,-9} batch {batch}: forward {forward * 1000:F1} ms, {flops / 1e9:F2} GFLOP, {flops / forward / 1e9:F1} GFLOP/s, " +
                              $"{allocated / 1024.0:F0} KiB managed ({GC.CollectionCount(0) - gen0} gen-0 GCs)";
                if (backward)
                {
                    // Gradients for the input only: the activations' backward without weight gradients, as the ESD-x
                    // subset's share of weight gradients is small.
                    double both = Seconds(runs, () =>
                    {
                        using var scope = NewDisposeScope();
                        using var xg = x.detach().requires_grad_(true);
                        unet.call(xg, t, context, null).to(float32).square().mean().backward();
                    });
                    line += $"; forward + backward {both * 1000:F1} ms ({both / forward:F2}x the forward)";
                }
                Console.WriteLine(line);
            }
        }
        Console.WriteLine("ratio = forward GFLOP/s / matmul GFLOP/s of the same dtype (see above)");
        return 0;
    }

    private static ScalarType ParseDtype(string name) => name switch
    {
        "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        "float16" => ScalarType.Float16,
        _ => throw new ArgumentException($"--dtypes: unknown dtype '{name}' (float32, bfloat16, float16)"),
    };

    /// <summary>Seconds per call: one warm-up, then the mean of <paramref name="runs"/>.</summary>
    private static double Seconds(int runs, Action action)
    {
        action();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < runs; i++) action();
        return sw.Elapsed.TotalSeconds / runs;
    }

    /// <summary>What one LibTorch call costs from .NET when it computes nearly nothing: the floor under a small U-Net's calls.</summary>
    private static double CallMicroseconds(bool allocating = false)
    {
        const int calls = 20000;
        using var x = zeros(1);
        using Scalar one = 1;
        double seconds = Seconds(3, () =>
        {
            using var scope = NewDisposeScope();
            for (int i = 0; i < calls; i++)
                if (allocating) x.add(one);
                else x.add_(one);
        });
        return seconds / calls * 1e6;
    }

    public static double MatmulGflops(int n, ScalarType dtype)
    {
        using var a = randn([n, n]).to(dtype);
        using var b = randn([n, n]).to(dtype);
        double seconds = Seconds(3, () => { using var c = matmul(a, b); });
        return 2.0 * n * n * n / seconds / 1e9;
    }

    /// <summary>
    /// FLOPs of one forward at <paramref name="latent"/> x <paramref name="latent"/>, batch <paramref name="batch"/>, from
    /// each convolution's and linear layer's weight and the resolution or tokens it works at (known from its name:
    /// down block i at latent / 2^i, the mid block at the deepest level, up block j mirrored; cross-attention keys and
    /// values over the 77 context tokens, time embeddings over one), plus attention's two products.
    /// Module hooks would not see them: the engine calls its layers' forward directly.
    /// </summary>
    public static double CountForwardFlops(UNet2DConditionModel unet, int latent, int batch, int contextTokens = 77)
    {
        int levels = unet.Config.DownBlockTypes.Count;
        long Resolution(string name)
        {
            var parts = name.Split('.');
            if (parts[0] == "down_blocks")
            {
                int i = int.Parse(parts[1]);
                return parts[2] == "downsamplers" ? latent >> (i + 1) : latent >> i;
            }
            if (parts[0] == "up_blocks")
            {
                int j = int.Parse(parts[1]);
                long r = latent >> (levels - 1 - j);
                return parts[2] == "upsamplers" ? r * 2 : r;
            }
            return parts[0] == "mid_block" ? latent >> (levels - 1) : latent;
        }
        double flops = 0;
        foreach (var (name, module) in unet.named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                {
                    var w = conv.weight!.shape; // [out, in / groups, kh, kw]
                    long r = Resolution(name);
                    flops += 2.0 * w[0] * w[1] * w[2] * w[3] * r * r;
                    break;
                }
                case Linear linear:
                {
                    var w = linear.weight!.shape; // [out, in]
                    long r = Resolution(name);
                    long tokens = name.Contains("time_emb") || name.StartsWith("add_embedding", StringComparison.Ordinal) ? 1
                        : name.Contains("attn2.to_k") || name.Contains("attn2.to_v") ? contextTokens : r * r;
                    flops += 2.0 * w[0] * w[1] * tokens;
                    break;
                }
                case DiffusionEngine.Layers.Attention:
                {
                    var toQ = unet.named_modules().First(m => m.name == name + ".to_q").module as Linear;
                    long inner = toQ!.weight!.shape[0];
                    long r = Resolution(name), n = r * r;
                    long m = name.EndsWith("attn2", StringComparison.Ordinal) ? contextTokens : n;
                    flops += 4.0 * n * m * inner; // q·kᵀ and weights·v
                    break;
                }
            }
        }
        return flops * batch;
    }
}

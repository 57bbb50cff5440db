using Host.Abstractions;
using SampleHost.LoadedModels;
using SampleHost.Patches;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SampleHost.Tests.LoadedModels;

/// <summary>
/// A small conv + linear network with the U-Net's forward signature. <see cref="BetweenBlocks"/> runs between
/// its blocks, so a test can widen the window in which a concurrent weight swap would be seen half done.
/// </summary>
internal sealed class TinyUnet : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Conv2d conv_in;
    private readonly ModuleList<Linear> blocks;
    private readonly Conv2d conv_out;

    public TinyUnet(int channels = 4, int width = 16, int depth = 3) : base(nameof(TinyUnet))
    {
        conv_in = nn.Conv2d(channels, width, 3, padding: 1);
        blocks = nn.ModuleList(Enumerable.Range(0, depth).Select(_ => nn.Linear(width, width)).ToArray());
        conv_out = nn.Conv2d(width, channels, 3, padding: 1);
        RegisterComponents();
    }

    public Action? BetweenBlocks { get; set; }

    // sample [B,C,H,W], timestep int64 [B], context [B,T,D] -> [B,C,H,W]
    public override Tensor forward(Tensor sample, Tensor timestep, Tensor context)
    {
        using var scope = NewDisposeScope();
        var h = conv_in.forward(sample).permute(0, 2, 3, 1);   // [B,H,W,width]
        h = h + timestep.to(h.dtype).view(-1, 1, 1, 1) * 1e-3 + context.mean().to(h.dtype);
        foreach (var block in blocks)
        {
            BetweenBlocks?.Invoke();
            h = h + nn.functional.silu(block.forward(h));
        }
        BetweenBlocks?.Invoke();
        var result = conv_out.forward(h.permute(0, 3, 1, 2));
        return scope.MoveToOuter(result);
    }

    /// <summary>Raw bytes of every parameter, by name.</summary>
    public Dictionary<string, byte[]> Snapshot() =>
        named_parameters().ToDictionary(p => p.name, p => Bytes(p.parameter));

    public static byte[] Bytes(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().cpu().contiguous().bytes.ToArray();
    }

    /// <summary>Whether two tensors have the same shape, dtype and bytes.</summary>
    public static bool SameBits(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && Bytes(a).AsSpan().SequenceEqual(Bytes(b));

    public Tensor Run(Tensor sample)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var timestep = full(sample.shape[0], 10L, dtype: ScalarType.Int64);
        var context = ones(sample.shape[0], 2, 3);
        return scope.MoveToOuter(forward(sample, timestep, context));
    }
}

/// <summary>A loaded model around a <see cref="TinyUnet"/>, recording whether the cache disposed it.</summary>
internal sealed class TinyModel(string folder, TinyUnet unet) : ILoadedModel, IDisposable
{
    private readonly WeightPatcher _patches = new(unet);

    public TinyModel(string folder) : this(folder, new TinyUnet()) { }

    public string Folder { get; } = folder;
    public string Fingerprint => TensorFingerprint.Of(unet.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
    public Device Device => CPU;
    public ScalarType Dtype => ScalarType.Float32;
    public string Family => "sd1";
    public nn.Module Unet => unet;
    public Tensor Denoise(Tensor sample, Tensor timestep, Conditioning conditioning) => unet.call(sample, timestep, conditioning.HiddenStates);
    public TinyUnet Tiny => unet;
    public long[] LatentShape => [4, 8, 8];
    public ITextEncoder TextEncoder => throw new NotSupportedException("not needed by these tests");
    public INoiseSchedule Schedule => throw new NotSupportedException("not needed by these tests");
    public IWeightPatches Patches => _patches;
    public WeightPatcher Patcher => _patches;
    public bool IsDisposed { get; private set; }

    public void Dispose()
    {
        IsDisposed = true;
        _patches.Dispose();
        unet.Dispose();
    }
}

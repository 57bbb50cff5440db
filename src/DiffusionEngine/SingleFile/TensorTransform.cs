using DiffusionEngine.Safetensors;
using static TorchSharp.torch;

namespace DiffusionEngine.SingleFile;

/// <summary>
/// How one diffusers tensor is made from its source tensor in a single-file checkpoint. A closed set: each case copies
/// straight from the file's memory mapping into the destination, so loading needs no converted copy of the file.
/// </summary>
internal abstract record TensorTransform
{
    private TensorTransform() { }

    /// <summary>The shape the transform makes of a source of shape <paramref name="source"/>, or null when it cannot apply.</summary>
    public abstract long[]? TargetShape(long[] source);

    /// <summary>Fills <paramref name="destination"/> (the target's shape; any dtype and device) from the file's tensor <paramref name="sourceKey"/>.</summary>
    internal abstract void CopyInto(SafetensorsFile file, string sourceKey, Tensor destination);

    /// <summary>For messages: "copy", "reshape [O, I, 1, 1] -> [O, I]", ...</summary>
    public abstract string Describe();

    /// <summary>The tensor unchanged.</summary>
    public sealed record Copy : TensorTransform
    {
        public override long[] TargetShape(long[] source) => source;

        internal override void CopyInto(SafetensorsFile file, string sourceKey, Tensor destination) => file.CopyInto(sourceKey, destination);

        public override string Describe() => "copy";
    }

    /// <summary>
    /// A 1x1 convolution's weight [O, I, 1, 1] taken as the Linear weight [O, I] (the same elements in the same order):
    /// the original VAE's mid-block attention is convolutional, diffusers' is linear.
    /// </summary>
    public sealed record Reshape : TensorTransform
    {
        public override long[]? TargetShape(long[] source) =>
            source is [var o, var i, 1, 1] ? [o, i] : null;

        internal override void CopyInto(SafetensorsFile file, string sourceKey, Tensor destination)
        {
            long[] source = [.. destination.shape, 1, 1];
            // Under no_grad: an in-place copy into a view of a parameter that requires grad would be refused.
            using var noGrad = no_grad();
            if (destination.is_contiguous())
            {
                // A view aliases the destination's storage, so the bytes still go straight from the mapping into it.
                using var view = destination.view(source);
                file.CopyInto(sourceKey, view);
                return;
            }
            using var staging = file.Read(sourceKey);
            using var reshaped = staging.reshape(destination.shape);
            destination.copy_(reshaped);
        }

        public override string Describe() => "reshape [O, I, 1, 1] -> [O, I]";
    }

    /// <summary>
    /// Rows <c>Index * n / Count</c> .. <c>(Index + 1) * n / Count</c> of the source's first dimension (n rows): one of the
    /// projections an attention fuses into one tensor, OpenCLIP's <c>in_proj_weight</c> [3C, C] = cat(q, k, v) (Index 0, 1, 2 of 3).
    /// </summary>
    public sealed record RowSlice(int Index, int Count) : TensorTransform
    {
        public override long[]? TargetShape(long[] source) =>
            source.Length >= 1 && source[0] % Count == 0 ? [source[0] / Count, .. source[1..]] : null;

        internal override void CopyInto(SafetensorsFile file, string sourceKey, Tensor destination)
        {
            long rows = destination.shape[0];
            file.CopyRowsInto(sourceKey, Index * rows, rows, destination);
        }

        public override string Describe() => $"rows {Index} of {Count} along dim 0";
    }

    /// <summary>The matrix transposed: OpenCLIP keeps <c>text_projection</c> as [hidden, projection] and multiplies from the right.</summary>
    public sealed record Transpose : TensorTransform
    {
        public override long[]? TargetShape(long[] source) => source is [var a, var b] ? [b, a] : null;

        internal override void CopyInto(SafetensorsFile file, string sourceKey, Tensor destination)
        {
            using var staging = file.Read(sourceKey);
            using var transposed = staging.t();
            using var noGrad = no_grad();
            destination.copy_(transposed);
        }

        public override string Describe() => "transpose";
    }
}

using TorchSharp;

namespace DiffusionEngine.Safetensors;

/// <summary>One tensor's header record: dtype, shape and byte range within the data section.</summary>
public sealed record SafetensorsEntry(string Name, string DtypeName, torch.ScalarType Dtype, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
    public long ByteLength => End - Begin;
}

namespace Host.Abstractions;

/// <summary>
/// The host's tensor file format (safetensors): plugins read and write weight files through it rather than
/// carrying a reader of their own.
/// </summary>
public interface ITensorFiles
{
    /// <summary>Reads every tensor of a file onto the CPU, with the file's string metadata. Errors name the file and tensor.</summary>
    TensorFileContents Read(string path);

    /// <summary>Reads only the metadata and each tensor's dtype name and shape.</summary>
    TensorFileHeader ReadHeader(string path);

    /// <summary>Writes tensors and metadata atomically (a temporary file renamed into place).</summary>
    void Write(string path, IReadOnlyDictionary<string, TorchSharp.torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null);

    /// <summary>
    /// As <see cref="Write"/>, for a file that must not exist yet: refuses with an <see cref="IOException"/> when
    /// <paramref name="path"/> exists, checked at the moment the file is renamed into place (so two writers never
    /// replace each other's file). Added in contract 2.0.
    /// </summary>
    void WriteNew(string path, IReadOnlyDictionary<string, TorchSharp.torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null);

    /// <summary>
    /// Writes any other file (an optimizer state, an index, a key) whole or not at all: <paramref name="writeTemporaryFile"/>
    /// writes the temporary path it is given, which is then flushed to disk and renamed onto <paramref name="path"/>;
    /// with <paramref name="overwrite"/> false an existing file is kept and an <see cref="IOException"/> thrown.
    /// Added in contract 2.0.
    /// </summary>
    void WriteAtomically(string path, Action<string> writeTemporaryFile, bool overwrite = true);
}

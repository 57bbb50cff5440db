namespace Host.Abstractions;

/// <summary>How a model is written to disk. Added in contract 2.2.</summary>
public enum ModelFileLayout
{
    /// <summary>A diffusers folder: model_index.json and a folder per component.</summary>
    DiffusersFolder,

    /// <summary>One .safetensors file in the original (LDM / SGM) key layout, as A1111 and ComfyUI load them.</summary>
    SingleFile,
}

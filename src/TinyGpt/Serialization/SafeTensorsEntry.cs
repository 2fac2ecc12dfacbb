using static TorchSharp.torch;

namespace TinyGpt.Serialization;

/// <summary>One tensor's place in a safetensors file.</summary>
internal sealed record SafeTensorsEntry(string Name, ScalarType Dtype, long[] Shape, long Offset, long Length);

using static TorchSharp.torch;

namespace TinyGpt.Serialization;

/// <summary>One tensor's place in a safetensors file.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Dtype">Its element type.</param>
/// <param name="DtypeName">The element type as the file names it (<c>F32</c>, <c>BF16</c>...).</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Offset">Where its bytes start, from the start of the file.</param>
/// <param name="Length">How many bytes it has.</param>
internal sealed record SafeTensorsEntry(string Name, ScalarType Dtype, string DtypeName, long[] Shape, long Offset, long Length);

using TinyGpt.Modeling;

namespace TinyGpt.Interchange;

/// <summary>A model loaded from disk, and where from.</summary>
/// <param name="Model">The model, in evaluation mode; the caller owns it.</param>
/// <param name="Source">The file or folder it was loaded from.</param>
/// <param name="Kind">What kind of file that was.</param>
public sealed record LoadedModel(GptModel Model, string Source, ModelFileKind Kind);

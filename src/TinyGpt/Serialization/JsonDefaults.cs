using System.Text.Json;
using System.Text.Json.Serialization;

namespace TinyGpt.Serialization;

/// <summary>
/// The one JSON setting of every file TinyGpt writes (<c>config.json</c>, <c>prepare.json</c>,
/// checkpoint metadata): indented, enums as lower-case names (<c>"bpe"</c>, <c>"shuffled_epochs"</c>),
/// read back case-insensitively.
/// </summary>
internal static class JsonDefaults
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}

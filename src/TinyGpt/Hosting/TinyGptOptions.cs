namespace TinyGpt.Hosting;

/// <summary>
/// Where <see cref="Microsoft.Extensions.DependencyInjection.TinyGptServiceCollectionExtensions.AddTinyGpt(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{TinyGptOptions}?)"/> loads the model from. Plain
/// settable properties, so they bind from configuration, for example a <c>"TinyGpt"</c> section:
/// <c>{ "RunDirectory": "runs/demo", "Device": "cpu" }</c>.
/// </summary>
public sealed class TinyGptOptions
{
    /// <summary>The configuration section these options are conventionally bound from.</summary>
    public const string SectionName = "TinyGpt";

    /// <summary>The trained run folder (<c>model.safetensors</c> or a checkpoint, and the tokenizer). Required.</summary>
    public string? RunDirectory { get; set; }

    /// <summary>Device to generate on: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The model id that the chat client reports; by default the run folder's name.</summary>
    public string? ModelId { get; set; }

    /// <summary>
    /// Whether a host loads the model while it starts (the default), so that a broken run folder stops
    /// the application at once and the first request does not wait; false loads it at the first request.
    /// </summary>
    public bool LoadOnStart { get; set; } = true;

    internal string ModelIdOrDefault => !string.IsNullOrWhiteSpace(ModelId) ? ModelId
        : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(RunDirectory!))) is { Length: > 0 } name ? name
        : "tinygpt";

    /// <summary>Lists every problem with these options; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(RunDirectory))
        {
            problems.Add($"{nameof(RunDirectory)} must name a trained run folder (set TinyGpt:RunDirectory).");
        }

        if (string.IsNullOrWhiteSpace(Device))
        {
            problems.Add($"{nameof(Device)} must name a device such as cpu or cuda.");
        }

        return problems;
    }
}

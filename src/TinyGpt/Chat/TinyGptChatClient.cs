using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using TinyGpt.Generation;
using TinyGpt.Validation;

namespace TinyGpt.Chat;

/// <summary>
/// A TinyGpt <see cref="TextGenerator"/> as a <see cref="IChatClient"/> of Microsoft.Extensions.AI, for
/// plain text completion: the text of the messages (after <see cref="ChatOptions.Instructions"/>, if
/// any), joined by line breaks, is the prompt, and the reply is its continuation. TinyGpt models are
/// not instruction-tuned and know no chat roles, so roles are ignored.
/// </summary>
/// <remarks>
/// Honoured options: <see cref="ChatOptions.MaxOutputTokens"/>, <see cref="ChatOptions.Temperature"/>,
/// <see cref="ChatOptions.TopK"/>, <see cref="ChatOptions.TopP"/>, <see cref="ChatOptions.Seed"/> and
/// <see cref="ChatOptions.StopSequences"/> (the reply ends before the first one; finish reason
/// <see cref="ChatFinishReason.Stop"/>). Tools and response formats are not supported and are
/// rejected with <see cref="NotSupportedException"/>. Thread-safe like the generator: calls take turns.
/// </remarks>
public sealed class TinyGptChatClient : IChatClient
{
    private readonly TextGenerator _generator;
    private readonly GenerationOptions _defaults;
    private readonly ChatClientMetadata _metadata;

    /// <summary>Wraps <paramref name="generator"/>.</summary>
    /// <param name="generator">The generator; the client does not own it.</param>
    /// <param name="modelId">The model id reported in metadata and responses.</param>
    /// <param name="defaults">Generation settings used where the chat options say nothing; null uses <see cref="GenerationOptions"/>'s defaults with context overflow trimmed.</param>
    public TinyGptChatClient(TextGenerator generator, string modelId = "tinygpt", GenerationOptions? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        _generator = generator;
        _defaults = (defaults ?? new GenerationOptions { ContextOverflow = ContextOverflow.KeepLastTokens }).EnsureValid();
        _metadata = new ChatClientMetadata("TinyGpt", null, modelId);
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(update.Text);
            finish ??= update.FinishReason;
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            ModelId = _metadata.DefaultModelId,
            FinishReason = finish,
        };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var prompt = BuildPrompt(messages, options);
        var generation = ToGenerationOptions(options);
        var filter = new StopSequenceFilter(options?.StopSequences);
        await foreach (var piece in _generator.GenerateStreamingAsync(prompt, generation, cancellationToken).ConfigureAwait(false))
        {
            var ready = filter.Push(piece);
            if (ready.Length > 0)
            {
                yield return Update(ready, null);
            }

            if (filter.Stopped)
            {
                break;
            }
        }

        var rest = filter.Flush();
        if (rest.Length > 0 || filter.Stopped)
        {
            yield return Update(rest, filter.Stopped ? ChatFinishReason.Stop : null);
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        return serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : serviceType.IsInstanceOfType(_generator) ? _generator
            : null;
    }

    /// <summary>Does nothing: the generator belongs to whoever created it.</summary>
    public void Dispose()
    {
    }

    private ChatResponseUpdate Update(string text, ChatFinishReason? finish) => new(ChatRole.Assistant, text)
    {
        ModelId = _metadata.DefaultModelId,
        FinishReason = finish,
    };

    private static string BuildPrompt(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var parts = new List<string>();
        if (!string.IsNullOrEmpty(options?.Instructions))
        {
            parts.Add(options.Instructions);
        }

        parts.AddRange(messages.Select(m => m.Text));
        return string.Join("\n", parts);
    }

    private GenerationOptions ToGenerationOptions(ChatOptions? options)
    {
        if (options is null)
        {
            return _defaults;
        }

        if (options.Tools is { Count: > 0 })
        {
            throw new NotSupportedException("TinyGpt models cannot call tools; remove ChatOptions.Tools.");
        }

        if (options.ResponseFormat is ChatResponseFormatJson)
        {
            throw new NotSupportedException("TinyGpt cannot constrain output to JSON; remove ChatOptions.ResponseFormat.");
        }

        var sampling = _defaults.Sampling;
        sampling = sampling with
        {
            Temperature = options.Temperature ?? sampling.Temperature,
            TopK = options.TopK ?? sampling.TopK,
            TopP = options.TopP ?? sampling.TopP,
            Seed = options.Seed ?? sampling.Seed,
        };
        return (_defaults with { MaxNewTokens = options.MaxOutputTokens ?? _defaults.MaxNewTokens, Sampling = sampling }).EnsureValid();
    }
}

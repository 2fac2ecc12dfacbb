using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using TinyGpt.Generation;
using TinyGpt.Validation;

namespace TinyGpt.Chat;

/// <summary>
/// A TinyGpt <see cref="TextGenerator"/> as a <see cref="IChatClient"/> of Microsoft.Extensions.AI, for
/// plain text completion: the text of the messages (after <see cref="ChatOptions.Instructions"/>, if
/// any), joined by line breaks, is the prompt, and the reply is its continuation. TinyGpt models are
/// not instruction-tuned and know no chat roles, so roles are ignored. Register it with
/// <c>services.AddTinyGpt(...)</c>, which returns a <see cref="ChatClientBuilder"/> for middleware
/// such as <c>UseLogging()</c> and <c>UseOpenTelemetry()</c>.
/// </summary>
/// <remarks>
/// <para>
/// Honoured options: <see cref="ChatOptions.MaxOutputTokens"/>, <see cref="ChatOptions.Temperature"/>,
/// <see cref="ChatOptions.TopK"/>, <see cref="ChatOptions.TopP"/>, <see cref="ChatOptions.Seed"/>,
/// <see cref="ChatOptions.StopSequences"/> (the reply ends before the first one),
/// <see cref="ChatOptions.Instructions"/>, <see cref="ChatOptions.ModelId"/> (when it names this
/// model) and a multiplicative repetition penalty as <c>AdditionalProperties["repetition_penalty"]</c>
/// (<see cref="SamplingOptions.RepetitionPenalty"/>) and the no-repeat n-gram size as
/// <c>AdditionalProperties["no_repeat_ngram_size"]</c> (<see cref="SamplingOptions.NoRepeatNgramSize"/>). Everything else that would change the answer is
/// refused with <see cref="NotSupportedException"/> rather than ignored: tools, JSON response formats,
/// frequency and presence penalties, reasoning options, server-side conversations, background
/// responses and unknown additional properties. <see cref="ChatOptions.RawRepresentationFactory"/>
/// is not called: there is no underlying service whose options it could build.
/// </para>
/// <para>
/// Every response carries <see cref="ChatResponse.Usage"/> (prompt and generated tokens; a
/// <see cref="UsageContent"/> in the last streamed update), <see cref="ChatFinishReason.Stop"/> at the
/// end-of-text token or a stop sequence and <see cref="ChatFinishReason.Length"/> at
/// <see cref="ChatOptions.MaxOutputTokens"/>, a fresh <see cref="ChatResponse.ResponseId"/>,
/// <see cref="ChatResponse.CreatedAt"/> and <see cref="ChatResponse.ModelId"/>. Thread-safe like the
/// generator: concurrent calls are decoded together in one batch.
/// </para>
/// </remarks>
public sealed class TinyGptChatClient : IChatClient
{
    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key of the repetition penalty (a number; 1 is none).</summary>
    public const string RepetitionPenaltyKey = "repetition_penalty";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key of <see cref="SamplingOptions.NoRepeatNgramSize"/> (a whole number; 0 is off).</summary>
    public const string NoRepeatNgramSizeKey = "no_repeat_ngram_size";

    private readonly TextGenerator _generator;
    private readonly GenerationOptions _defaults;
    private readonly ChatClientMetadata _metadata;
    private readonly string _modelId;

    /// <summary>Wraps <paramref name="generator"/>.</summary>
    /// <param name="generator">The generator; the client does not own it.</param>
    /// <param name="modelId">The model id reported in metadata and responses.</param>
    /// <param name="defaults">Generation settings used where the chat options say nothing; null uses <see cref="GenerationOptions"/>'s defaults with context overflow trimmed.</param>
    public TinyGptChatClient(TextGenerator generator, string modelId = "tinygpt", GenerationOptions? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        _generator = generator;
        _modelId = modelId;
        _defaults = (defaults ?? new GenerationOptions { ContextOverflow = ContextOverflow.KeepLastTokens }).EnsureValid();
        _metadata = new ChatClientMetadata("tinygpt", null, modelId);
    }

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        // Microsoft.Extensions.AI's own merge: text joined, the UsageContent moved into Usage, ids,
        // time, model and finish reason taken from the updates.
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var prompt = BuildPrompt(messages, options);
        var generation = ToGenerationOptions(options);
        var responseId = $"tinygpt-{Guid.NewGuid():N}";
        var createdAt = DateTimeOffset.UtcNow;
        await foreach (var update in _generator.GenerateUpdatesAsync(prompt, generation, cancellationToken).ConfigureAwait(false))
        {
            if (update.FinishReason is { } finish)
            {
                var usage = new UsageDetails
                {
                    InputTokenCount = update.PromptTokenCount,
                    OutputTokenCount = update.GeneratedTokenCount,
                    TotalTokenCount = update.PromptTokenCount + update.GeneratedTokenCount,
                };
                List<AIContent> contents = update.Text.Length > 0 ? [new TextContent(update.Text), new UsageContent(usage)] : [new UsageContent(usage)];
                yield return Update(contents, responseId, createdAt, finish == GenerationFinishReason.MaxNewTokens ? ChatFinishReason.Length : ChatFinishReason.Stop);
            }
            else if (update.Text.Length > 0)
            {
                yield return Update([new TextContent(update.Text)], responseId, createdAt, null);
            }
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

    private ChatResponseUpdate Update(IList<AIContent> contents, string responseId, DateTimeOffset createdAt, ChatFinishReason? finish) => new(ChatRole.Assistant, contents)
    {
        ResponseId = responseId,
        MessageId = responseId,
        CreatedAt = createdAt,
        ModelId = _modelId,
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

        Refuse(options.Tools is { Count: > 0 }, "TinyGpt models cannot call tools; remove ChatOptions.Tools.");
        Refuse(options.ToolMode is RequiredChatToolMode, "TinyGpt models cannot call tools; remove ChatOptions.ToolMode.");
        Refuse(options.ResponseFormat is ChatResponseFormatJson, "TinyGpt cannot constrain output to JSON; remove ChatOptions.ResponseFormat.");
        Refuse(options.FrequencyPenalty is not null || options.PresencePenalty is not null,
            $"TinyGpt has no frequency or presence penalty; use a multiplicative repetition penalty instead: AdditionalProperties[\"{RepetitionPenaltyKey}\"] = 1.2.");
        Refuse(options.Reasoning is not null, "TinyGpt models do not reason in steps; remove ChatOptions.Reasoning.");
        Refuse(options.ConversationId is not null, "TinyGpt keeps no conversations on the server; send the whole history in the messages and leave ChatOptions.ConversationId null.");
        Refuse(options.AllowBackgroundResponses is true || options.ContinuationToken is not null, "TinyGpt answers in the foreground only; remove AllowBackgroundResponses and ContinuationToken.");
        Refuse(options.ModelId is { } model && !string.Equals(model, _modelId, StringComparison.Ordinal), $"This client serves the model '{_modelId}', not '{options.ModelId}'.");

        var sampling = _defaults.Sampling;
        if (options.AdditionalProperties is { Count: > 0 } extra)
        {
            foreach (var key in extra.Keys)
            {
                Refuse(!string.Equals(key, RepetitionPenaltyKey, StringComparison.Ordinal) && !string.Equals(key, NoRepeatNgramSizeKey, StringComparison.Ordinal),
                    $"TinyGpt does not know the additional property '{key}'; the ones it takes are '{RepetitionPenaltyKey}' and '{NoRepeatNgramSizeKey}'.");
            }

            sampling = sampling with
            {
                RepetitionPenalty = PropertyOr(extra, RepetitionPenaltyKey, sampling.RepetitionPenalty, "a number, such as 1.2 (1 is no penalty)"),
                NoRepeatNgramSize = PropertyOr(extra, NoRepeatNgramSizeKey, sampling.NoRepeatNgramSize, "a whole number, such as 3 (0 is off)"),
            };
        }

        sampling = sampling with
        {
            Temperature = options.Temperature ?? sampling.Temperature,
            TopK = options.TopK ?? sampling.TopK,
            TopP = options.TopP ?? sampling.TopP,
            Seed = options.Seed ?? sampling.Seed,
        };
        return (_defaults with
        {
            MaxNewTokens = options.MaxOutputTokens ?? _defaults.MaxNewTokens,
            StopStrings = options.StopSequences is { Count: > 0 } stops ? [.. _defaults.StopStrings, .. stops] : _defaults.StopStrings,
            Sampling = sampling,
        }).EnsureValid();
    }

    // An absent property keeps the default; one of the wrong type is refused with an example of the right one.
    private static T PropertyOr<T>(AdditionalPropertiesDictionary extra, string key, T fallback, string expected) =>
        !extra.ContainsKey(key) ? fallback
        : extra.TryGetValue(key, out T? value) && value is not null ? value
        : throw new ArgumentException($"AdditionalProperties[\"{key}\"] must be {expected}.", "options");

    private static void Refuse(bool condition, string message)
    {
        if (condition)
        {
            throw new NotSupportedException(message);
        }
    }
}

namespace TinyGpt.Samples.Hosting;

/// <summary>
/// The data of one server-sent event of <c>POST /complete</c>: <c>text</c> events carry the next
/// piece; the last event, <c>done</c>, carries why generation ended and the token counts.
/// </summary>
internal sealed record CompletionEvent(string? Text, string? FinishReason = null, long? InputTokens = null, long? OutputTokens = null);

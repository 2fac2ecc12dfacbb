namespace TinyGpt.Docs.Tests;

/// <summary>The request body of the <c>/complete</c> endpoint in docs/hosting.md (a type of the reader's app).</summary>
public sealed record CompletionRequest(string Prompt, int MaxNewTokens = 40);

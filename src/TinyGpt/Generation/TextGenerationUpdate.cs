namespace TinyGpt.Generation;

/// <summary>
/// One step of <see cref="TextGenerator.GenerateUpdatesAsync"/>: the text that became complete, with
/// token counts so far; the last update of a generation carries <see cref="FinishReason"/>.
/// </summary>
/// <param name="Text">New text (possibly empty: a token can end inside a UTF-8 character or inside what may become a stop string).</param>
/// <param name="PromptTokenCount">Tokens of the prompt the model read (after <see cref="ContextOverflow.KeepLastTokens"/> trimming).</param>
/// <param name="GeneratedTokenCount">Tokens generated so far, including any not yet shown as text; not counting a drawn stop token.</param>
/// <param name="FinishReason">Why the generation ended, on its last update; null before.</param>
public sealed record TextGenerationUpdate(string Text, int PromptTokenCount, int GeneratedTokenCount, GenerationFinishReason? FinishReason);

namespace TinyGpt.Runs;

/// <summary>One encoded split of a prepared run.</summary>
/// <param name="Name">Split name (train, valid, test).</param>
/// <param name="TokenFile">Path of the cached token file.</param>
/// <param name="Tokens">Number of tokens.</param>
/// <param name="Words">Words in the text, WikiText counting (whitespace words plus one per line).</param>
/// <param name="Bytes">UTF-8 bytes of the text.</param>
public sealed record PreparedSplit(string Name, string TokenFile, long Tokens, long Words, long Bytes);

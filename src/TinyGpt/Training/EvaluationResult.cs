namespace TinyGpt.Training;

/// <summary>How well a model predicts a split.</summary>
/// <param name="Loss">Mean cross-entropy per scored token, in nats.</param>
/// <param name="Tokens">Scored tokens.</param>
/// <param name="TotalNats">Summed cross-entropy over the scored tokens.</param>
/// <param name="Bytes">UTF-8 bytes of the text the tokens cover, when known.</param>
/// <param name="Words">Words of the text (whitespace words plus one per line, as WikiText counts them), when known.</param>
public sealed record EvaluationResult(double Loss, long Tokens, double TotalNats, long? Bytes, long? Words)
{
    /// <summary>exp(loss): the model is as unsure as a uniform choice among this many tokens.</summary>
    public double TokenPerplexity => Math.Exp(Loss);

    /// <summary>Bits per UTF-8 byte: comparable across tokenizers; null when the byte count is unknown or the split was scored only in part.</summary>
    public double? BitsPerByte => Bytes is > 0 ? TotalNats / Math.Log(2) / Bytes.Value : null;

    /// <summary>exp(total nats / words): comparable with word-level WikiText results; null when the word count is unknown or the split was scored only in part.</summary>
    public double? WordPerplexity => Words is > 0 ? Math.Exp(TotalNats / Words.Value) : null;

    /// <summary>Builds a result from summed cross-entropy.</summary>
    public static EvaluationResult FromTotals(double totalNats, long tokens, long? bytes = null, long? words = null) =>
        tokens <= 0
            ? throw new ArgumentException("Nothing was scored: the split has fewer than two tokens.", nameof(tokens))
            : new EvaluationResult(totalNats / tokens, tokens, totalNats, bytes, words);
}

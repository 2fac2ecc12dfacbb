using TinyGpt.Ngrams;
using TinyGpt.Validation;

namespace TinyGpt.Generation;

/// <summary>
/// How the next token is chosen from the model's logits. The steps apply in this order:
/// the n-gram mixture (when <see cref="Ngram"/> is set), repetition penalty, the no-repeat n-gram
/// ban (<see cref="NoRepeatNgramSize"/>), temperature (0 means greedy: take the most likely token and stop here),
/// top-k, top-p (nucleus), then a draw from the remaining distribution.
/// </summary>
public sealed record SamplingOptions : IValidatable
{
    /// <summary>Always the most likely token.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Divides the logits before sampling: below 1 sharpens, above 1 flattens; 0 means greedy. Must be at least 0.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep only the k most likely tokens; 0 turns the filter off. Must be at least 0.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose probabilities add up to at least this; 1 turns the filter off. Must be in (0, 1].</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>
    /// Penalises tokens already in the prompt or output (CTRL-style: positive logits divided,
    /// negative ones multiplied by it); 1 turns it off. Must be positive.
    /// </summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>
    /// Never produce an n-gram of this many tokens that the prompt or output already holds (Hugging
    /// Face's <c>no_repeat_ngram_size</c>): a token that would complete a repeat is removed before
    /// temperature, so greedy decoding cannot loop on a phrase; 0 turns it off. Must be at least 0.
    /// </summary>
    public int NoRepeatNgramSize { get; init; }

    /// <summary>Seed of the random draws; the same seed, model and prompt give the same tokens. Null draws a fresh seed.</summary>
    public long? Seed { get; init; }

    /// <summary>True when the options always pick the most likely token.</summary>
    public bool IsGreedy => Temperature == 0;

    /// <summary>
    /// An n-gram model to mix with the network before sampling, or null for the network alone:
    /// each next-token distribution becomes <c>(1 - NgramWeight) p_model + NgramWeight p_ngram</c>,
    /// the n-gram reading the tokens before it (the same static ensemble that evaluation scores
    /// with <see cref="Training.EvaluationSettings.Ngram"/>). Temperature, top-k and top-p then act
    /// on the mixture. Its vocabulary must be the model's.
    /// </summary>
    public KneserNeyModel? Ngram { get; init; }

    /// <summary>Order of <see cref="Ngram"/> to use; null uses the largest it counted.</summary>
    public int? NgramOrder { get; init; }

    /// <summary>Share of <see cref="Ngram"/> in the mixture, in [0, 1].</summary>
    public double NgramWeight { get; init; } = Training.EvaluationSettings.DefaultNgramWeight;

    /// <summary>True when choosing a token needs the tokens before it (a repetition penalty, the no-repeat ban or an n-gram model is on).</summary>
    public bool UsesHistory => RepetitionPenalty != 1.0 || NoRepeatNgramSize > 0 || Ngram is not null;

    /// <inheritdoc />
    public IReadOnlyList<string> Validate() => new Problems()
        .Require(double.IsFinite(Temperature) && Temperature >= 0, $"{nameof(Temperature)} must be a finite number >= 0 (got {Temperature}); use 0 for greedy decoding.")
        .Require(TopK >= 0, $"{nameof(TopK)} must be >= 0 (got {TopK}); use 0 to turn top-k off.")
        .Require(TopP is > 0 and <= 1, $"{nameof(TopP)} must be in (0, 1] (got {TopP}); use 1 to turn top-p off.")
        .Require(double.IsFinite(RepetitionPenalty) && RepetitionPenalty > 0, $"{nameof(RepetitionPenalty)} must be a finite number > 0 (got {RepetitionPenalty}); use 1 to turn it off.")
        .Require(NoRepeatNgramSize >= 0, $"{nameof(NoRepeatNgramSize)} must be >= 0 (got {NoRepeatNgramSize}); use 0 to turn it off.")
        .Require(NgramWeight is >= 0 and <= 1, $"{nameof(NgramWeight)} must be in [0, 1] (got {NgramWeight}).")
        .Require(NgramOrder is null || (NgramOrder >= 1 && (Ngram is null || NgramOrder <= Ngram.MaxOrder)), $"{nameof(NgramOrder)} must be from 1 to the n-gram model's largest order ({Ngram?.MaxOrder}) (got {NgramOrder}).")
        .ToList();
}

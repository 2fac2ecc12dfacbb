using TinyGpt.Modeling;
using TinyGpt.Ngrams;
using TinyGpt.Tokens;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Training;

/// <summary>Scores a model on a token split: every predictable token exactly once, in windows of the context length.</summary>
public static class ModelEvaluator
{
    /// <summary>Returns loss, perplexities and bits per byte of <paramref name="model"/> on <paramref name="tokens"/>.</summary>
    /// <param name="model">The model; left in the mode it was in.</param>
    /// <param name="tokens">The split's tokens.</param>
    /// <param name="settings">Window length, stride, batch size and the split's text statistics.</param>
    /// <param name="collective">With several ranks, each scores windows r, r + world, ... and the sums are combined.</param>
    /// <param name="cancellationToken">Stops between batches; with several ranks, every rank stops when any was cancelled.</param>
    /// <exception cref="ArgumentException">The settings do not fit the model, or the split has fewer than two tokens.</exception>
    /// <exception cref="OperationCanceledException">The evaluation was cancelled (on any rank).</exception>
    public static EvaluationResult Evaluate(GptModel model, ITokenSequence tokens, EvaluationSettings? settings = null, ICollective? collective = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        settings ??= new EvaluationSettings();
        collective ??= SingleProcessCollective.Instance;
        var contextLength = settings.ContextLength ?? model.Config.ContextLength;
        if (contextLength < 1 || contextLength > model.Config.ContextLength)
        {
            throw new ArgumentException($"The evaluation window ({contextLength}) must be between 1 and the model's context length ({model.Config.ContextLength}).", nameof(settings));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(settings.BatchSize, 1);
        var wasTraining = model.training;
        model.eval();
        var device = model.Device;
        var stride = settings.Stride ?? contextLength;
        if (stride < 1 || stride > contextLength)
        {
            throw new ArgumentException($"The evaluation stride ({stride}) must be between 1 and the evaluation window ({contextLength}); a larger stride would skip tokens.", nameof(settings));
        }

        var ngram = settings.Ngram;
        var ngramOrder = settings.NgramOrder ?? ngram?.MaxOrder ?? 0;
        if (ngram is not null)
        {
            if (ngramOrder < 1 || ngramOrder > ngram.MaxOrder)
            {
                throw new ArgumentException($"The n-gram order ({ngramOrder}) must be between 1 and the largest order the n-gram model counted ({ngram.MaxOrder}).", nameof(settings));
            }

            if (settings.NgramWeight is < 0 or > 1 || double.IsNaN(settings.NgramWeight))
            {
                throw new ArgumentException($"The n-gram weight must be in [0, 1] (got {settings.NgramWeight}).", nameof(settings));
            }

            if (ngram.VocabSize > model.Config.VocabSize)
            {
                throw new ArgumentException($"The n-gram model has {ngram.VocabSize} tokens but the model {model.Config.VocabSize}: count it with the run's own tokens.", nameof(settings));
            }
        }

        var windows = EvaluationWindows.Create(tokens.Count, contextLength, stride).ToList();
        var limit = settings.MaxBatches is { } m ? Math.Min(windows.Count, m * settings.BatchSize * collective.WorldSize) : windows.Count;
        double nats = 0;
        long scored = 0;
        using (no_grad())
        {
            var mine = windows.Take(limit).Where((_, i) => i % collective.WorldSize == collective.Rank);
            foreach (var group in mine.GroupBy(w => w.Length))
            {
                foreach (var chunk in group.Chunk(settings.BatchSize))
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }

                    using var scope = NewDisposeScope();
                    var length = group.Key;
                    var buffer = new long[chunk.Length * (length + 1)];
                    var mask = new bool[chunk.Length * length];
                    for (var row = 0; row < chunk.Length; row++)
                    {
                        chunk[row].ReadTokens(tokens, buffer.AsSpan(row * (length + 1), length + 1));
                        mask.AsSpan((row * length) + chunk[row].ScoredFrom, chunk[row].ScoredCount).Fill(true);
                    }

                    var all = torch.tensor(buffer, device: device).view(chunk.Length, length + 1);
                    var logits = model.forward(all[.., ..length]);
                    var losses = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), all[.., 1..].reshape(-1), reduction: nn.Reduction.None);
                    if (ngram is null)
                    {
                        var keep = torch.tensor(mask, device: device);
                        nats += losses.masked_select(keep).to(ScalarType.Float64).sum().item<double>();
                    }
                    else
                    {
                        nats += MixedNats(losses, chunk, length, tokens, ngram, ngramOrder, settings.NgramWeight);
                    }

                    scored += chunk.Sum(w => (long)w.ScoredCount);
                }
            }
        }

        var cancelled = cancellationToken.IsCancellationRequested;
        if (collective.WorldSize > 1)
        {
            // Every rank meets here even when one was cancelled, and all learn that one was.
            using var totals = torch.tensor(new[] { nats, scored, cancelled ? 1.0 : 0.0 }, dtype: ScalarType.Float64);
            collective.AllReduceSum(totals);
            var values = totals.data<double>().ToArray();
            (nats, scored, cancelled) = (values[0], (long)values[1], values[2] > 0);
        }

        if (cancelled)
        {
            if (wasTraining)
            {
                model.train();
            }

            throw new OperationCanceledException("The evaluation was cancelled.", cancellationToken);
        }

        if (wasTraining)
        {
            model.train();
        }

        var complete = limit == windows.Count;
        return EvaluationResult.FromTotals(nats, scored, complete ? settings.Bytes : null, complete ? settings.Words : null);
    }

    /// <summary>
    /// -log of the mixture over one batch's scored tokens: the network's probabilities (from its
    /// per-token losses) mixed with the n-gram's, which reads up to order - 1 tokens before each
    /// target, also from before the window.
    /// </summary>
    private static double MixedNats(Tensor losses, EvaluationWindow[] chunk, int length, ITokenSequence tokens, KneserNeyModel ngram, int order, double weight)
    {
        var perToken = losses.to(ScalarType.Float64).cpu().data<double>().ToArray();
        var history = order - 1;
        var row = new long[history + length + 1];
        double nats = 0;
        for (var r = 0; r < chunk.Length; r++)
        {
            var window = chunk[r];
            var from = Math.Max(0, window.Start - history);
            var lead = (int)(window.Start - from);
            var span = row.AsSpan(0, lead + length + 1);
            tokens.CopyTo(from, span);
            for (var j = window.ScoredFrom; j < window.ScoredFrom + window.ScoredCount; j++)
            {
                // Input position j predicts the token at j + 1 of the window.
                var target = lead + j + 1;
                var context = span[Math.Max(0, target - history)..target];
                var p = ((1 - weight) * Math.Exp(-perToken[(r * length) + j])) + (weight * ngram.Probability(context, span[target], order));
                nats -= Math.Log(p);
            }
        }

        return nats;
    }
}

using TinyGpt.Modeling;
using TinyGpt.Tokens;
using TinyGpt.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Training;

/// <summary>
/// Dynamic evaluation (Krause et al., 2018): scores a split segment by segment in reading order,
/// and after scoring each segment takes a gradient step on it, so the model adapts to the article
/// it is reading (names, topics, style). Every token is scored before the model learns from it,
/// so the number is an honest test-time score; it is a different number from the static one of
/// <see cref="ModelEvaluator"/> and is reported beside it, never instead of it.
/// </summary>
/// <remarks>
/// The update is SGD with a decay toward the trained weights θ₀ (Krause et al.'s SGD variant):
/// θ ← θ − η∇L, then θ ← θ + λ(θ₀ − θ). Dropout is off. The model's weights are put back
/// exactly when scoring ends (or fails), so the model in memory and on disk is unchanged.
/// Segments are scored one at a time in order, so this costs a forward and a backward pass per
/// segment at batch 1: several times slower than static evaluation, and it cannot be split over ranks.
/// </remarks>
public static class DynamicEvaluator
{
    /// <summary>Returns loss, perplexities and bits per byte of <paramref name="model"/> adapting as it reads <paramref name="tokens"/>.</summary>
    /// <param name="model">The model; its weights and mode are the same afterwards.</param>
    /// <param name="tokens">The split's tokens, in reading order.</param>
    /// <param name="settings">Segment length, step size, decay and the split's text statistics.</param>
    /// <param name="cancellationToken">Stops between segments (the weights are put back).</param>
    /// <exception cref="ArgumentException">The settings are invalid or do not fit the model, or the split has fewer than two tokens.</exception>
    /// <exception cref="OperationCanceledException">The evaluation was cancelled.</exception>
    public static EvaluationResult Evaluate(GptModel model, ITokenSequence tokens, DynamicEvaluationSettings? settings = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        settings = (settings ?? new DynamicEvaluationSettings()).EnsureValid();
        var segmentLength = settings.SegmentLength ?? model.Config.ContextLength;
        if (segmentLength > model.Config.ContextLength)
        {
            throw new ArgumentException($"The segment length ({segmentLength}) is longer than the model's context length ({model.Config.ContextLength}).", nameof(settings));
        }

        var parameters = model.parameters().ToList();
        var wasTraining = model.training;
        Tensor[] trained;
        using (no_grad())
        {
            trained = [.. parameters.Select(p => p.detach().clone().DetachFromDisposeScope())];
        }

        double nats = 0;
        long scored = 0;
        try
        {
            model.eval();
            var device = model.Device;
            using var negativeStep = (-settings.LearningRate).ToScalar();
            using var decay = torch.tensor(settings.Decay, dtype: trained[0].dtype, device: device);
            foreach (var segment in EvaluationWindows.Create(tokens.Count, segmentLength, segmentLength))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var buffer = new long[segment.Length + 1];
                segment.ReadTokens(tokens, buffer);
                var all = torch.tensor(buffer, device: device).view(1, -1);
                var logits = model.forward(all[.., ..segment.Length]);
                var losses = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), all[.., 1..].reshape(-1), reduction: nn.Reduction.None);

                // Score first (non-overlapping segments score every target they read), then learn.
                var sum = losses.sum();
                nats += sum.to(ScalarType.Float64).item<double>();
                scored += segment.ScoredCount;
                foreach (var parameter in parameters)
                {
                    parameter.grad?.zero_();
                }

                losses.mean().backward();
                using (no_grad())
                {
                    for (var i = 0; i < parameters.Count; i++)
                    {
                        var grad = parameters[i].grad;
                        if (grad is null)
                        {
                            continue;
                        }

                        parameters[i].add_(grad, negativeStep);
                        if (settings.Decay > 0)
                        {
                            parameters[i].lerp_(trained[i], decay);
                        }
                    }
                }
            }
        }
        finally
        {
            using (no_grad())
            {
                using var scope = NewDisposeScope();
                for (var i = 0; i < parameters.Count; i++)
                {
                    parameters[i].copy_(trained[i]);
                    parameters[i].grad?.zero_();
                    trained[i].Dispose();
                }
            }

            if (wasTraining)
            {
                model.train();
            }
        }

        return EvaluationResult.FromTotals(nats, scored, settings.Bytes, settings.Words);
    }
}

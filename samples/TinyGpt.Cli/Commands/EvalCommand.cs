using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using TinyGpt.Ngrams;
using TinyGpt.Runs;
using TinyGpt.Training;
using TinyGpt.Validation;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt eval</c>: loss, perplexities and bits per byte on a split.</summary>
internal static class EvalCommand
{
    public static readonly Option<string> Run = new("--run") { Description = "The run folder.", Required = true };
    public static readonly Option<string> Split = CliOptions.Split("--split", "The split to score (default: the run's evaluation split).", null);
    public static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object instead of a table." };
    public static readonly Option<string?> Checkpoint = new("--checkpoint") { Description = "Evaluate this model file, checkpoint or Hugging Face folder instead of the run's newest model." };
    public static readonly Option<int?> Stride = new("--stride") { Description = "Tokens between evaluation windows (default: the context; smaller gives every scored token more context and costs context/stride times the work)." };
    public static readonly Option<string> Device = CliOptions.Device();
    public static readonly Option<bool> Dynamic = new("--dynamic") { Description = "Also score with dynamic evaluation (the model adapts to the text as it reads it, one gradient step per scored segment); reported beside the static score. The model on disk is unchanged." };
    public static readonly Option<double> DynamicLearningRate = new("--dynamic-lr") { Description = "Step size of dynamic evaluation's gradient steps.", DefaultValueFactory = _ => new DynamicEvaluationSettings().LearningRate };
    public static readonly Option<double> DynamicDecay = new("--dynamic-decay") { Description = "Share of the way back to the trained weights after each dynamic step, in [0, 1).", DefaultValueFactory = _ => new DynamicEvaluationSettings().Decay };

    public static readonly Option<int?> Ngram = new("--ngram") { Description = "Also score the model mixed with an interpolated Kneser-Ney n-gram model of this order (3 and 4 scored within 1% of each other on WikiText-2) counted on the run's training split; reported beside the model's own score." };
    public static readonly Option<double> NgramWeight = new("--ngram-weight") { Description = "Share of the n-gram model in the mixture, in [0, 1].", DefaultValueFactory = _ => EvaluationSettings.DefaultNgramWeight };

    public static Command Create()
    {
        var command = new Command("eval", "Evaluate the trained model: loss, token and word perplexity, bits per byte.") { Run, Split, Json, Checkpoint, Stride, Device, Dynamic, DynamicLearningRate, DynamicDecay, Ngram, NgramWeight };
        command.SetAction((result, cancellationToken) => CliErrors.RunAsync(() =>
        {
            using var run = RunFolder.Open(result.GetValue(Run)!);
            var split = result.GetValue(Split) ?? run.Manifest.EvalSplit;
            var ngramOrder = result.GetValue(Ngram);
            var ngramWeight = result.GetValue(NgramWeight);
            if (ngramOrder is { } order)
            {
                CliOptions.CheckNgram(order, ngramWeight, run.Manifest.VocabSize);
            }

            var loaded = run.LoadModel(result.GetValue(Device)!, result.GetValue(Checkpoint));
            using (loaded.Model)
            {
                var dynamic = result.GetValue(Dynamic)
                    ? new DynamicEvaluationSettings { LearningRate = result.GetValue(DynamicLearningRate), Decay = result.GetValue(DynamicDecay) }.EnsureValid()
                    : null;
                var watch = Stopwatch.StartNew();
                var evaluation = new TimedEvaluation(Evaluate(run, loaded.Model, split, result.GetValue(Stride), cancellationToken), watch.Elapsed);
                TimedEvaluation? mixed = null;
                if (ngramOrder is { } n)
                {
                    // Counting is part of the mixture's cost: the n-gram model is built from the training split here.
                    watch.Restart();
                    var counted = KneserNeyModel.Train(run.OpenTokens(run.Manifest.TrainSplit), run.Manifest.VocabSize, n);
                    mixed = new TimedEvaluation(Evaluate(run, loaded.Model, split, result.GetValue(Stride), cancellationToken, counted, ngramWeight), watch.Elapsed);
                }

                TimedEvaluation? adapted = null;
                if (dynamic is not null)
                {
                    var info = run.GetSplit(split);
                    watch.Restart();
                    adapted = new TimedEvaluation(DynamicEvaluator.Evaluate(loaded.Model, run.OpenTokens(split), dynamic with { Bytes = info.Bytes, Words = info.Words }, cancellationToken), watch.Elapsed);
                }

                if (result.GetValue(Json))
                {
                    Console.WriteLine(EvaluationOutput.Json(split, evaluation, loaded.Source, adapted, dynamic, mixed, ngramOrder, ngramWeight));
                }
                else
                {
                    EvaluationOutput.PrintTable(split, evaluation, adapted, mixed is null ? null : (mixed, MixedTitle(ngramOrder!.Value, ngramWeight)));
                }
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    /// <summary>Scores <paramref name="split"/>; with <paramref name="ngram"/>, the model mixed with it at <paramref name="ngramWeight"/>.</summary>
    public static EvaluationResult Evaluate(RunFolder run, TinyGpt.Modeling.GptModel model, string split, int? stride, CancellationToken cancellationToken, KneserNeyModel? ngram = null, double ngramWeight = EvaluationSettings.DefaultNgramWeight)
    {
        var info = run.GetSplit(split);
        return ModelEvaluator.Evaluate(model, run.OpenTokens(split), new EvaluationSettings { BatchSize = 8, Stride = stride, Bytes = info.Bytes, Words = info.Words, Ngram = ngram, NgramWeight = ngramWeight }, cancellationToken: cancellationToken);
    }

    /// <summary>The heading of a mixed score's column.</summary>
    public static string MixedTitle(int order, double weight) => $"with {order}-gram ({weight.ToString("0.##", CultureInfo.InvariantCulture)})";
}

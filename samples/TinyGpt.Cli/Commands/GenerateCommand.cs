using System.CommandLine;
using TinyGpt.Generation;
using TinyGpt.Ngrams;
using TinyGpt.Runs;
using TinyGpt.Training;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt generate</c>: streams a completion of a prompt.</summary>
internal static class GenerateCommand
{
    public static readonly Option<string> Run = new("--run") { Description = "The run folder.", Required = true };
    public static readonly Option<string> Prompt = new("--prompt") { Description = "Text to continue (empty: start a new document).", DefaultValueFactory = _ => string.Empty };
    public static readonly Option<string> Method = CliOptions.Method();
    public static readonly Option<double> Temperature = new("--temperature") { Description = "Sampling temperature (0: greedy).", DefaultValueFactory = _ => 0.8 };
    public static readonly Option<int> TopK = new("--top-k") { Description = "k of top-k sampling.", DefaultValueFactory = _ => 40 };
    public static readonly Option<double> TopP = new("--top-p") { Description = "p of nucleus sampling.", DefaultValueFactory = _ => 0.9 };
    public static readonly Option<double> RepetitionPenalty = new("--repetition-penalty") { Description = "Penalty of repeated tokens (1: off).", DefaultValueFactory = _ => 1.0 };
    public static readonly Option<int> NoRepeatNgram = new("--no-repeat-ngram") { Description = "Never repeat an n-gram of this many tokens that the prompt or output holds (0: off).", DefaultValueFactory = _ => 0 };
    public static readonly Option<int> MaxNewTokens = new("--max-new-tokens") { Description = "Most tokens to generate.", DefaultValueFactory = _ => 100 };
    public static readonly Option<string[]> Stop = new("--stop") { Description = "Stop before this text (repeatable: the first one seen ends generation).", AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => [] };
    public static readonly Option<long?> Seed = new("--seed") { Description = "Seed for reproducible sampling." };
    public static readonly Option<string?> Checkpoint = new("--checkpoint") { Description = "Generate with this model file, checkpoint or Hugging Face folder instead of the run's newest model." };
    public static readonly Option<bool> KeepLastTokens = new("--keep-last-tokens") { Description = "When the prompt and the new tokens do not fit the model's context, keep only the most recent tokens instead of stopping with an error." };
    public static readonly Option<string> Device = CliOptions.Device();
    public static readonly Option<int?> Ngram = new("--ngram") { Description = "Sample from the model mixed with an interpolated Kneser-Ney n-gram model of this order counted on the run's training split (what 'eval --ngram' scores)." };
    public static readonly Option<double> NgramWeight = new("--ngram-weight") { Description = "Share of the n-gram model in the mixture, in [0, 1].", DefaultValueFactory = _ => EvaluationSettings.DefaultNgramWeight };

    public static Command Create()
    {
        var command = new Command("generate", "Generate text from the trained model, streaming it as it forms.")
        {
            Run, Prompt, Method, Temperature, TopK, TopP, RepetitionPenalty, NoRepeatNgram, MaxNewTokens, Stop, Seed, Checkpoint, KeepLastTokens, Device, Ngram, NgramWeight,
        };
        command.SetAction((result, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            using var run = RunFolder.Open(result.GetValue(Run)!);
            var options = ReadOptions(result);
            if (result.GetValue(Ngram) is { } order)
            {
                options = options with { Sampling = WithNgram(options.Sampling, run, order, result.GetValue(NgramWeight)) };
            }

            var prompt = result.GetValue(Prompt) ?? string.Empty;
            var loaded = run.LoadModel(result.GetValue(Device)!, result.GetValue(Checkpoint));
            using (loaded.Model)
            {
                var generator = new TextGenerator(loaded.Model, run.Tokenizer);
                CheckPrompt(generator, prompt, options);
                await StreamAsync(generator, prompt, options, cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }));
        return command;
    }

    public static GenerationOptions ReadOptions(ParseResult result) => new()
    {
        MaxNewTokens = result.GetValue(MaxNewTokens),
        StopStrings = result.GetValue(Stop) ?? [],
        Sampling = CliOptions.ToSampling(result.GetValue(Method)!, result.GetValue(Temperature), result.GetValue(TopK), result.GetValue(TopP)) with
        {
            Seed = result.GetValue(Seed),
            RepetitionPenalty = result.GetValue(RepetitionPenalty),
            NoRepeatNgramSize = result.GetValue(NoRepeatNgram),
        },
        ContextOverflow = result.GetValue(KeepLastTokens) ? ContextOverflow.KeepLastTokens : ContextOverflow.Error,
    };

    /// <summary>
    /// <paramref name="sampling"/> mixed with an n-gram model of <paramref name="order"/> counted on
    /// the run's training split. Checked before anything is counted.
    /// </summary>
    /// <exception cref="ArgumentException">The order or weight is out of range; the message names the flag.</exception>
    public static SamplingOptions WithNgram(SamplingOptions sampling, RunFolder run, int order, double weight)
    {
        ArgumentNullException.ThrowIfNull(run);
        CliOptions.CheckNgram(order, weight, run.Manifest.VocabSize);
        var counted = KneserNeyModel.Train(run.OpenTokens(run.Manifest.TrainSplit), run.Manifest.VocabSize, order);
        return sampling with { Ngram = counted, NgramOrder = order, NgramWeight = weight };
    }

    /// <summary>Writes the prompt, then the completion as it forms.</summary>
    public static async Task StreamAsync(TextGenerator generator, string prompt, GenerationOptions options, CancellationToken cancellationToken)
    {
        Console.Write(prompt);
        await foreach (var piece in generator.GenerateStreamingAsync(prompt, options, cancellationToken).ConfigureAwait(false))
        {
            Console.Write(piece);
        }

        Console.WriteLine();
    }

    /// <summary>Says in the CLI's terms what is wrong with a prompt, before any generation starts.</summary>
    private static void CheckPrompt(TextGenerator generator, string prompt, GenerationOptions options)
    {
        var context = generator.Tokens.Model.Config.ContextLength;
        var tokens = generator.Tokenizer.Encode(prompt).Length;
        if (tokens == 0)
        {
            if (generator.Tokenizer.EndOfTextId is null)
            {
                throw new ArgumentException("The prompt is empty and this run's tokenizer has no end-of-text token to start a new document from: give some text with --prompt.");
            }

            Console.Error.WriteLine("tinygpt: the prompt is empty, so the model starts a new document (from its end-of-text token).");
        }

        if (options.ContextOverflow == ContextOverflow.Error && tokens + options.MaxNewTokens - 1 > context)
        {
            throw new ArgumentException(
                $"The prompt is {tokens} tokens; with --max-new-tokens {options.MaxNewTokens} that is {tokens + options.MaxNewTokens - 1} positions, more than the model's context of {context}. " +
                "Shorten the prompt, lower --max-new-tokens, or pass --keep-last-tokens to keep only the most recent tokens.");
        }
    }
}

using TinyGpt.Modeling;
using TinyGpt.Tokenization;
using TinyGpt.Training;

namespace TinyGpt.Generation;

/// <summary>
/// Writes the periodic samples of a training run (<see cref="TrainingOptions.SampleInterval"/>):
/// <see cref="TrainingOptions.SampleTokens"/> tokens after <see cref="TrainingOptions.SamplePrompt"/>,
/// top-k 40 at temperature 0.8 from the run's seed, so samples of one run are comparable over time.
/// </summary>
public sealed class TrainingSampler : ITrainingSampler
{
    private readonly ITextTokenizer _tokenizer;

    /// <summary>Samples with <paramref name="tokenizer"/>, the run's tokenizer.</summary>
    public TrainingSampler(ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
    }

    /// <inheritdoc />
    public string Sample(GptModel model, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var generator = new TextGenerator(model, _tokenizer);
        var generation = new GenerationOptions
        {
            MaxNewTokens = Math.Min(options.SampleTokens, model.Config.ContextLength - 1),
            ContextOverflow = ContextOverflow.KeepLastTokens,
            Sampling = new SamplingOptions { Temperature = 0.8, TopK = 40, Seed = options.Seed },
        };
        return options.SamplePrompt + generator.Generate(options.SamplePrompt, generation);
    }
}

using TinyGpt.Checkpoints;
using TinyGpt.Modeling;
using TinyGpt.Tokenization;
using TinyGpt.Training;
using static TorchSharp.torch;

namespace TinyGpt.Interchange;

/// <summary>
/// Starts training from existing weights (<see cref="TrainingOptions.InitFrom"/>): a Hugging Face
/// GPT-2 folder, a TinyGpt model file or a checkpoint, loaded through <see cref="ModelLoader"/>.
/// The weights must have the model's shape, and the tokenizer must be theirs: token ids mean
/// nothing with another vocabulary, so a mismatch is an error, not a warning.
/// </summary>
public sealed class PretrainedWeights : IInitialWeights
{
    private PretrainedWeights()
    {
    }

    /// <summary>The one instance (it holds no state).</summary>
    public static PretrainedWeights Instance { get; } = new();

    /// <inheritdoc />
    public void Check(string path, GptConfig config, ITextTokenizer tokenizer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var source = ModelLoader.ReadConfig(path);
        // Dropout only acts in training, where the trainer's own setting applies.
        var differences = (source with { Dropout = config.Dropout, AttentionDropout = config.AttentionDropout, EmbeddingDropout = config.EmbeddingDropout }).DifferencesFrom(config, "in the weights", "in the model to train");
        if (differences.Count > 0)
        {
            throw new InvalidDataException($"The weights at '{path}' are for another model shape: {string.Join(", ", differences)}. Build the model from their configuration (ModelLoader.ReadConfig).");
        }

        CheckTokenizer(path, source, tokenizer);
    }

    /// <inheritdoc />
    public string CopyInto(string path, GptModel model, ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        Check(path, model.Config, tokenizer);
        var loaded = ModelLoader.Load(path);
        using var source = loaded.Model;
        using var noGrad = no_grad();
        var weights = source.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        foreach (var (name, parameter) in model.NamedParameters())
        {
            parameter.copy_(weights[name]);
        }

        return $"{loaded.Source} ({loaded.Kind})";
    }

    private static void CheckTokenizer(string path, GptConfig source, ITextTokenizer tokenizer)
    {
        var full = Path.GetFullPath(path);
        string? expected = null;
        var what = "its own tokenizer";
        if (Directory.Exists(full) && HuggingFaceGpt2.LoadTokenizer(full) is { } own)
        {
            expected = own.Fingerprint;
        }
        else if (File.Exists(full) && ModelLoader.Kind(full) == ModelFileKind.Checkpoint)
        {
            expected = CheckpointStore.ReadTokenizerFingerprint(full);
            what = "the tokenizer it was trained with";
        }

        // The pretrained GPT-2 tokenizer ships as ranks, a Hugging Face folder as vocab.json + merges.txt: compare the vocabularies.
        var actual = expected is not null && tokenizer is Gpt2TextTokenizer gpt2 && expected != gpt2.Fingerprint ? gpt2.ToVocabulary().Fingerprint : tokenizer.Fingerprint;
        if (expected is not null && expected != actual)
        {
            throw new InvalidDataException($"The weights at '{path}' come with {what}, and the data was tokenized with another one ({tokenizer.VocabSize:N0} tokens): token ids would mean different things. Prepare the data with the weights' tokenizer (RunPreparationOptions.TokenizerDirectory, tinygpt prepare --tokenizer-from).");
        }

        if (expected is null && tokenizer.VocabSize != source.VocabSize)
        {
            throw new InvalidDataException($"The weights at '{path}' have a vocabulary of {source.VocabSize:N0} tokens and the data's tokenizer has {tokenizer.VocabSize:N0}: they cannot belong together. Prepare the data with the tokenizer the weights were trained with (for GPT-2: TokenizerKind.Gpt2, tinygpt prepare --tokenizer gpt2).");
        }

        if (tokenizer.VocabSize > source.VocabSize)
        {
            throw new InvalidDataException($"The data's tokenizer has {tokenizer.VocabSize:N0} tokens but the weights only embed {source.VocabSize:N0}.");
        }
    }
}

using TinyGpt.Modeling;
using TinyGpt.Tokenization;

namespace TinyGpt.Training;

/// <summary>
/// Loads the weights of <see cref="TrainingOptions.InitFrom"/> into the model about to be trained.
/// Training knows nothing of file formats; <c>TinyGpt.Interchange.PretrainedWeights</c> reads them
/// all (Hugging Face GPT-2 folders, TinyGpt model files and checkpoints).
/// </summary>
public interface IInitialWeights
{
    /// <summary>Checks, from headers and configs alone, that the weights at <paramref name="path"/> fit <paramref name="config"/> and <paramref name="tokenizer"/>.</summary>
    /// <exception cref="InvalidDataException">They do not; the message says what differs.</exception>
    void Check(string path, GptConfig config, ITextTokenizer tokenizer);

    /// <summary>Copies the weights at <paramref name="path"/> into <paramref name="model"/> and says what was loaded.</summary>
    /// <exception cref="InvalidDataException">They do not fit the model or the tokenizer.</exception>
    string CopyInto(string path, GptModel model, ITextTokenizer tokenizer);
}

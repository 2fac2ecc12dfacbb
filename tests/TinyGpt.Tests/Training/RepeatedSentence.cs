using TinyGpt.Tests.Data;
using TinyGpt.Tokens;
using TinyGpt.Training;

namespace TinyGpt.Tests.Training;

/// <summary>The training data of the trainer tests: one sentence repeated, byte tokens, scored on itself.</summary>
internal static class RepeatedSentence
{
    public const string Text = "the quick brown fox jumps over the lazy dog. ";

    public static TrainingData Data(int repeats = 40)
    {
        var tokenizer = new ByteTokenizer();
        var tokens = new TokenArray(tokenizer.Encode(string.Concat(Enumerable.Repeat(Text, repeats))));
        return new TrainingData(tokens, tokenizer) { Validation = tokens };
    }
}

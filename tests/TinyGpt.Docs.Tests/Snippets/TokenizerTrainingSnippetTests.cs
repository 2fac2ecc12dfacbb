#region docs/tokenizer.md#train
using TinyGpt.Tokenization;
#endregion

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>docs/tokenizer.md, "Train", run as written on a few KB of text in <c>wiki.train.raw</c>.</summary>
public sealed class TokenizerTrainingSnippetTests : IDisposable
{
    private readonly DocsWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    /// <summary>About 12 KB of WikiText-like lines.</summary>
    public static string SmallCorpus()
    {
        string[] places = ["the castle", "the river", "a small town", "the old bridge", "the cathedral"];
        return string.Concat(Enumerable.Range(0, 120).Select(i =>
            $" = Section {i} = \n {places[i % places.Length]} was built in {1200 + (i * 7)} and rebuilt after the war ; it's still there .\n"));
    }

    [Fact]
    public void Both_ways_of_training_write_the_same_vocabulary_that_round_trips_text()
    {
        var corpus = SmallCorpus();
        _workspace.Write("wiki.train.raw", corpus);
        using var scope = _workspace.Enter();

        #region docs/tokenizer.md#train
        var options = new BpeTrainerOptions
        {
            VocabSize = 16_000,          // special tokens + 256 byte symbols + merges
            MinFrequency = 2,            // a pair must occur at least this often to be merged
            // SpecialTokens = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"] is the default
        };
        BpeVocabulary vocabulary = new BpeTrainer(options).TrainFromFiles(["wiki.train.raw"]);
        vocabulary.Save("runs/tokenizer");                  // vocab.json, merges.txt, tokenizer.json

        // or in one step:
        ITextTokenizer tokenizer = TextTokenizers.TrainAndSave(["wiki.train.raw"], "runs/tokenizer", options);
        #endregion

        foreach (var file in new[] { "vocab.json", "merges.txt", "tokenizer.json" })
        {
            File.Exists(Path.Combine("runs/tokenizer", file)).Should().BeTrue(file);
        }

        vocabulary.Tokens.Should().HaveCount(tokenizer.VocabSize);
        tokenizer.Fingerprint.Should().Be(vocabulary.Fingerprint, "training is deterministic");
        vocabulary.Merges.Should().NotBeEmpty();
        tokenizer.VocabSize.Should().BeLessThan(16_000, "a few KB of text has fewer pairs than the limit");
        tokenizer.Decode(tokenizer.Encode(corpus)).Should().Be(corpus);
        tokenizer.Encode(corpus).Length.Should().BeLessThan(corpus.Length / 3, "merges compress the text they were learned from");
    }
}

using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using TinyGpt.Tokenization;

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>docs/tokenizer.md: loading, and reading the same files with Microsoft.ML.Tokenizers.</summary>
public sealed class TokenizerSnippetTests : IDisposable
{
    private readonly DocsWorkspace _workspace = new();

    public TokenizerSnippetTests()
    {
        var corpus = _workspace.Write("wiki.train.raw", TokenizerTrainingSnippetTests.SmallCorpus());
        TextTokenizers.TrainAndSave([corpus], _workspace.File("runs/tokenizer"), new BpeTrainerOptions { VocabSize = 600 });
    }

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void A_saved_tokenizer_and_gpt2_load_and_round_trip()
    {
        using var scope = _workspace.Enter();

        #region docs/tokenizer.md#load
        ITextTokenizer ours = TextTokenizers.Load("runs/tokenizer");   // BpeTextTokenizer
        ITextTokenizer gpt2 = TextTokenizers.Gpt2();                    // Gpt2TextTokenizer.Instance
        int[] ids = ours.Encode("Hello world");
        string text = ours.Decode(ids);
        #endregion

        text.Should().Be("Hello world");
        ours.Should().BeOfType<BpeTextTokenizer>();
        ours.VocabSize.Should().BeLessThanOrEqualTo(600);
        gpt2.Encode("Hello world").Should().Equal(15496, 995);
        gpt2.EndOfTextId.Should().Be(50256);
    }

    [Fact]
    public void Microsoft_ml_tokenizers_reads_the_files_and_gives_the_same_ids()
    {
        var ours = TextTokenizers.Load(_workspace.File("runs/tokenizer"));
        using var scope = _workspace.Enter("runs/tokenizer");

        #region docs/tokenizer.md#microsoft-ml-tokenizers
        BpeTokenizer microsoft = BpeTokenizer.Create(new BpeOptions("vocab.json", "merges.txt")
        {
            ByteLevel = true,
            // Needed: without it spaces are lost.
            PreTokenizer = new RegexPreTokenizer(new Regex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"), null),
        });
        #endregion

        var text = TokenizerTrainingSnippetTests.SmallCorpus() + " Hello, world! It's 2024.\n";
        microsoft.EncodeToIds(text).Should().Equal(ours.Encode(text));
    }
}

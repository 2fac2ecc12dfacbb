using TinyGpt.Text;

namespace TinyGpt.Tests.Data;

public sealed class WikiTextCorpusTests
{
    [Fact]
    public void Real_WikiText2_files_verify_and_give_the_paper_word_counts()
    {
        var corpus = WikiTextCorpus.FromFolder(WikiText2Folder.Locate(), WikiTextDataset.WikiText2Raw);

        corpus.AvailableSplits.Should().Contain([SplitNames.Valid, SplitNames.Test]);
        var valid = corpus.GetSplit(SplitNames.Valid).CountWords();
        var test = corpus.GetSplit(SplitNames.Test).CountWords();
        valid.Words.Should().Be(217_646);
        valid.Lines.Should().Be(3_760);
        test.Words.Should().Be(245_569);
        test.Lines.Should().Be(4_358);
        string.Concat(corpus.GetSplit(SplitNames.Valid).ReadLines()).Should().Be(corpus.GetSplit(SplitNames.Valid).ReadAllText());
    }

    [Fact]
    public void A_corrupted_copy_is_rejected_naming_the_file_and_the_way_out()
    {
        using var temp = new TempDirectory();
        var source = Path.Combine(WikiText2Folder.Locate(), "wiki.valid.raw");
        var copy = temp.File("wiki.valid.raw");
        var bytes = File.ReadAllBytes(source);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(copy, bytes);

        var act = () => WikiTextCorpus.FromFolder(temp.Path);

        act.Should().Throw<InvalidDataException>().Which.Message
            .Should().Contain(copy).And.Contain("4cd0f6876d07a413aa911261ff6d363c72d757d47f0fdd6015702014c89cb9c7").And.Contain("verifyChecksums");
        WikiTextCorpus.FromFolder(temp.Path, verifyChecksums: false).GetSplit(SplitNames.Valid).ReadAllText().Length.Should().BeGreaterThan(0);
    }

    [Fact]
    public void A_missing_split_is_an_error_only_when_requested()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("wiki.test.raw"), " a b \n");

        var corpus = WikiTextCorpus.FromFolder(temp.Path, verifyChecksums: false);

        corpus.AvailableSplits.Should().Equal(SplitNames.Test);
        corpus.GetSplit(SplitNames.Test).CountWords().Should().Be(new WordCount(1, 2));
        var act = () => corpus.GetSplit(SplitNames.Train);
        act.Should().Throw<FileNotFoundException>().Which.Message.Should().Contain("wiki.train.raw").And.Contain("train split is not available");
        var unknown = () => corpus.GetSplit("validation");
        unknown.Should().Throw<ArgumentException>().Which.Message.Should().Contain("valid");
    }

    [Fact]
    public void A_folder_without_any_split_file_is_rejected_with_the_download_address()
    {
        using var temp = new TempDirectory();

        var act = () => WikiTextCorpus.FromFolder(temp.Path);

        act.Should().Throw<FileNotFoundException>().Which.Message.Should().Contain("https://wikitext.smerity.com/wikitext-2-raw-v1.zip");
    }

    [Fact]
    public void Word_counts_count_whitespace_words_plus_one_per_line()
    {
        TextSplit.FromText("train", " = A = \n\n one  two\tthree \nlast").CountWords()
            .Should().Be(new WordCount(4, 7)).And.Match<WordCount>(c => c.Words == 11);
    }
}

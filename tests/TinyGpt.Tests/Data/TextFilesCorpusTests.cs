using TinyGpt.Text;

namespace TinyGpt.Tests.Data;

public sealed class TextFilesCorpusTests
{
    [Fact]
    public void The_last_fraction_of_lines_becomes_the_validation_split()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("a.txt"), string.Concat(Enumerable.Range(0, 6).Select(i => $"line {i}\n")));
        File.WriteAllText(temp.File("b.txt"), "line 6\nline 7\nline 8\nline 9");

        var corpus = TextFilesCorpus.FromFiles([temp.File("a.txt"), temp.File("b.txt")], validationFraction: 0.25, name: "mine");

        corpus.Name.Should().Be("mine");
        corpus.AvailableSplits.Should().Equal(SplitNames.Train, SplitNames.Valid);
        // 10 lines, ceil(2.5) = 3 held out; the file without a final newline gets one.
        corpus.GetSplit(SplitNames.Train).ReadAllText().Should().Be(string.Concat(Enumerable.Range(0, 7).Select(i => $"line {i}\n")));
        corpus.GetSplit(SplitNames.Valid).ReadAllText().Should().Be("line 7\nline 8\nline 9\n");
        var again = TextFilesCorpus.FromFiles([temp.File("a.txt"), temp.File("b.txt")], validationFraction: 0.25);
        again.GetSplit(SplitNames.Valid).ComputeSha256().Should().Be(corpus.GetSplit(SplitNames.Valid).ComputeSha256());
        var test = () => corpus.GetSplit(SplitNames.Test);
        test.Should().Throw<FileNotFoundException>();
    }

    [Fact]
    public void Bad_input_is_rejected_clearly()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("one.txt"), "only line\n");
        File.WriteAllBytes(temp.File("latin1.txt"), [0x63, 0x61, 0x66, 0xE9, 0x0A, 0x78, 0x0A]);

        var tooShort = () => TextFilesCorpus.FromFiles([temp.File("one.txt")], 0.1);
        tooShort.Should().Throw<ArgumentException>().Which.Message.Should().Contain("too few");
        var missing = () => TextFilesCorpus.FromFiles([temp.File("nope.txt")]);
        missing.Should().Throw<FileNotFoundException>();
        var fraction = () => TextFilesCorpus.FromFiles([temp.File("one.txt")], 0.9);
        fraction.Should().Throw<ArgumentOutOfRangeException>();
        var notUtf8 = () => TextFilesCorpus.FromFiles([temp.File("latin1.txt")], 0.5);
        notUtf8.Should().Throw<InvalidDataException>().Which.Message.Should().Contain("latin1.txt").And.Contain("UTF-8");
        TextFilesCorpus.FromFiles([temp.File("one.txt")], 0).AvailableSplits.Should().Equal(SplitNames.Train);
    }
}

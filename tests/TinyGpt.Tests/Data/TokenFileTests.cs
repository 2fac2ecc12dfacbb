using TinyGpt.Text;
using TinyGpt.Tokens;

namespace TinyGpt.Tests.Data;

public sealed class TokenFileTests : IDisposable
{
    private const string Text = " = Title = \n\n first line , with words \n second line é ü \n no newline at the end";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Encodes_line_by_line_and_reads_back_through_the_memory_map()
    {
        var tokenizer = new ByteTokenizer();
        var split = TextSplit.FromText(SplitNames.Train, Text);
        var path = TokenFileBuilder.DefaultPath(_temp.Path, "tiny", SplitNames.Train);

        using var file = TokenFileBuilder.GetOrBuild(split, tokenizer, path);

        var byLines = split.ReadLines().SelectMany(tokenizer.Encode).ToArray();
        file.ToArray().Should().Equal(byLines);
        file.ToArray().Should().Equal(tokenizer.Encode(Text), "a byte tokenizer encodes the same by lines as a whole");
        file.Count.Should().Be(byLines.Length);
        file[3].Should().Be(byLines[3]);
        file.TokenizerFingerprint.Should().Be("bytes-v1");
        file.SourceSha256.Should().Be(split.ComputeSha256());
        file.VocabSize.Should().Be(256);
        Path.GetFileName(path).Should().Be("tiny.train.tokens");
        Directory.GetFiles(_temp.Path).Should().Equal(path);
    }

    [Fact]
    public void Many_lines_encoded_in_parallel_keep_their_order()
    {
        var lines = Enumerable.Range(0, 40_000).Select(i => $"line {i} {new string('x', i % 7)}\n");
        var split = TextSplit.FromText(SplitNames.Train, string.Concat(lines));
        var tokenizer = new ByteTokenizer();

        using var file = TokenFileBuilder.GetOrBuild(split, tokenizer, _temp.File("many.tokens"));

        file.ToArray().Should().Equal(tokenizer.Encode(split.ReadAllText()));
    }

    [Fact]
    public void Is_reused_when_unchanged_and_rebuilt_when_the_tokenizer_or_the_source_changes()
    {
        var path = _temp.File("cache.tokens");
        var source = _temp.File("source.txt");
        File.WriteAllText(source, Text);
        var split = TextSplit.FromFile(SplitNames.Train, source);
        var tokenizer = new ByteTokenizer();
        using (TokenFileBuilder.GetOrBuild(split, tokenizer, path))
        {
        }

        var firstCalls = tokenizer.EncodeCalls;
        firstCalls.Should().BeGreaterThan(0);

        using (var reused = TokenFileBuilder.GetOrBuild(split, tokenizer, path))
        {
            tokenizer.EncodeCalls.Should().Be(firstCalls, "an unchanged tokenizer and source reuse the file");
            reused.ToArray().Should().Equal(tokenizer.Encode(Text));
        }

        // Same name and vocabulary, different ids: only the fingerprint tells them apart.
        var shifted = new ByteTokenizer(vocabSize: 300, fingerprint: "bytes-shifted-v1", offset: 10);
        using (var rebuilt = TokenFileBuilder.GetOrBuild(split, shifted, path))
        {
            shifted.EncodeCalls.Should().BeGreaterThan(0);
            rebuilt.TokenizerFingerprint.Should().Be("bytes-shifted-v1");
            rebuilt[0].Should().Be(' ' + 10);
        }

        File.WriteAllText(source, Text + "\n one more line \n");
        var before = shifted.EncodeCalls;
        using (var changed = TokenFileBuilder.GetOrBuild(split, shifted, path))
        {
            shifted.EncodeCalls.Should().BeGreaterThan(before, "a changed source is detected by its content hash");
            changed.Count.Should().Be(shifted.Encode(File.ReadAllText(source)).Length);
        }
    }

    [Theory]
    [InlineData(256, TokenDataType.UInt16, 2)]
    [InlineData(65_536, TokenDataType.UInt16, 2)]
    [InlineData(65_537, TokenDataType.Int32, 4)]
    public void Stores_uint16_up_to_65536_ids_and_int32_above(int vocabSize, TokenDataType expected, int bytesPerToken)
    {
        // Offsetting ids near the top of the vocabulary shows the full range survives the round trip.
        var tokenizer = new ByteTokenizer(vocabSize, $"bytes-{vocabSize}", offset: vocabSize - 256);
        var split = TextSplit.FromText(SplitNames.Valid, Text);
        var path = _temp.File($"v{vocabSize}.tokens");

        using var file = TokenFileBuilder.GetOrBuild(split, tokenizer, path);

        file.DataType.Should().Be(expected);
        file.ToArray().Should().Equal(tokenizer.Encode(Text));
        var dataBytes = file.Count * bytesPerToken;
        (new FileInfo(path).Length - dataBytes).Should().BeInRange(64, 256, "the rest is the header");
    }

    [Fact]
    public void Ids_outside_the_vocabulary_are_rejected_and_leave_no_file()
    {
        var tokenizer = new ByteTokenizer(vocabSize: 100, fingerprint: "too-small");
        var path = _temp.File("bad.tokens");

        var act = () => TokenFileBuilder.GetOrBuild(TextSplit.FromText(SplitNames.Train, "zzz"), tokenizer, path);

        act.Should().Throw<InvalidDataException>().Which.Message.Should().Contain("122");
        Directory.GetFiles(_temp.Path).Should().BeEmpty();
    }

    [Fact]
    public void A_damaged_file_is_rejected_on_open_and_rebuilt_by_the_builder()
    {
        var path = _temp.File("damaged.tokens");
        var tokenizer = new ByteTokenizer();
        var split = TextSplit.FromText(SplitNames.Train, Text);
        using (TokenFileBuilder.GetOrBuild(split, tokenizer, path))
        {
        }

        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(stream.Length - 1);
        }

        var open = () => TokenFile.Open(path);
        open.Should().Throw<InvalidDataException>().Which.Message.Should().Contain("Delete it");
        using var rebuilt = TokenFileBuilder.GetOrBuild(split, tokenizer, path);
        rebuilt.ToArray().Should().Equal(tokenizer.Encode(Text));
    }
}

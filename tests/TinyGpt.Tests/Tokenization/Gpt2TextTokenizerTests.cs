using TinyGpt.Tokenization;

namespace TinyGpt.Tests.Tokenization;

public class Gpt2TextTokenizerTests
{
    private static readonly ITextTokenizer Gpt2 = TextTokenizers.Gpt2();

    [Fact]
    public void Has_the_gpt2_vocabulary()
    {
        Gpt2.VocabSize.Should().Be(50_257);
        Gpt2.EndOfTextId.Should().Be(50_256);
        Gpt2.SpecialTokens.Should().Equal(new Dictionary<string, int> { ["<|endoftext|>"] = 50_256 });
        Gpt2.Fingerprint.Should().MatchRegex("^[0-9a-f]{64}$").And.Be(Gpt2TextTokenizer.Instance.Fingerprint);
    }

    [Fact]
    public void Encodes_known_text_to_the_published_ids()
    {
        Gpt2.Encode("Hello world").Should().Equal(15496, 995);
    }

    [Fact]
    public void The_literal_end_of_text_is_ordinary_text_and_the_id_decodes_to_it()
    {
        int[] ids = Gpt2.Encode("a <|endoftext|>b");
        ids.Should().NotContain(50_256);
        Gpt2.Decode(ids).Should().Be("a <|endoftext|>b");
        Gpt2.Decode([50_256]).Should().Be("<|endoftext|>");
    }

    [Fact]
    public void Round_trips_any_valid_string()
    {
        RandomText.Many(seed: 61, count: 10_000).Where(text => Gpt2.Decode(Gpt2.Encode(text)) != text)
            .Should().BeEmpty("decode(encode(s)) must give back s");
    }

    [Fact]
    public void Decoding_an_unknown_id_says_which()
    {
        FluentActions.Invoking(() => Gpt2.Decode([50_257]))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*50257*outside*");
    }
}

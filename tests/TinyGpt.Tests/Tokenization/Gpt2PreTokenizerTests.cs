using System.Text.RegularExpressions;
using TinyGpt.Tokenization;

namespace TinyGpt.Tests.Tokenization;

public class Gpt2PreTokenizerTests
{
    private static readonly Regex Gpt2Regex = new(Gpt2PreTokenizer.Pattern, RegexOptions.Compiled);

    private static List<string> Split(string text)
    {
        var pieces = new List<string>();
        for (int pos = 0; pos < text.Length;)
        {
            int length = Gpt2PreTokenizer.PieceLength(text, pos);
            pieces.Add(text.Substring(pos, length));
            pos += length;
        }

        return pieces;
    }

    [Theory]
    [InlineData("Hello world", new[] { "Hello", " world" })]
    [InlineData("I'm here, don't go", new[] { "I", "'m", " here", ",", " don", "'t", " go" })]
    [InlineData("a  b\n\nc ", new[] { "a", " ", " b", "\n", "\n", "c", " " })]
    [InlineData("x \t y", new[] { "x", " \t", " y" })]
    [InlineData("123abc!?", new[] { "123", "abc", "!?" })]
    public void Splits_like_gpt2(string text, string[] expected)
    {
        Split(text).Should().Equal(expected);
    }

    [Fact]
    public void Scanner_matches_the_gpt2_regex_on_random_text()
    {
        foreach (string text in RandomText.Many(seed: 11, count: 10_000))
        {
            var expected = Gpt2Regex.Matches(text).Select(m => m.Value).ToList();
            Split(text).Should().Equal(expected, because: "the scanner must split {0} like the regex", Escape(text));
        }
    }

    [Fact]
    public void Safe_cuts_do_not_change_the_pieces()
    {
        string text = RandomText.Corpus(seed: 5, words: 5_000);
        int cut = Gpt2PreTokenizer.FindSafeCut(text, text.Length / 2);
        cut.Should().BePositive();
        Split(text[..cut]).Concat(Split(text[cut..])).Should().Equal(Split(text));
    }

    private static string Escape(string text) => string.Concat(text.Select(c => c < 32 || c > 126 ? $"\\u{(int)c:X4}" : c.ToString()));
}

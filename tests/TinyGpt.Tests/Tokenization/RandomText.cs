using System.Text;

namespace TinyGpt.Tests.Tokenization;

/// <summary>Seeded random strings that stress tokenizers: every kind of character class and the known edge cases.</summary>
internal static class RandomText
{
    private static readonly string[] Fragments =
    [
        "</s>", "<s>", "<pad>", "<unk>", "<mask>", "<|endoftext|>", "<|endoftext|", "\r\n", "\n\n", "\r", "\t",
        "'s", "'re", "'ve", "'ll", "'d", "'m", "'t", "'S", " '", "''", "😀", "👍🏽", "👨‍👩‍👧", "🇩🇪", "𝐀𝐁", "𠀋",
        "é", "é", "ß", "Ж", "中文", "日本語", "한국어", "العربية", "\u00A0", "\u2003", "\u3000", "\u200B", "\u0085",
        "\u0000", "\u0001", "\u001F", "\u007F", "\uFEFF", "\uFFFD", "1234", "३४५", "Ⅻ", "½", " ", "  ", "   ",
        "Hello", " world", "don't", "ĠĊ", "Ġ", "...", "!!", "\\", "\"",
    ];

    public static string Next(Random random)
    {
        var text = new StringBuilder();
        int parts = random.Next(0, 12);
        for (int i = 0; i < parts; i++)
        {
            switch (random.Next(10))
            {
                case 0:
                case 1:
                case 2:
                    text.Append(Fragments[random.Next(Fragments.Length)]);
                    break;
                case 3:
                    text.Append((char)random.Next(0, 128));
                    break;
                case 4:
                    text.Append((char)random.Next(128, 0x800));
                    break;
                case 5:
                    // Any BMP char that is not a surrogate: valid UTF-16 on its own.
                    char c;
                    do
                    {
                        c = (char)random.Next(0x800, 0x10000);
                    }
                    while (char.IsSurrogate(c));

                    text.Append(c);
                    break;
                case 6:
                    // A supplementary-plane code point: a valid surrogate pair.
                    text.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x110000)));
                    break;
                case 7:
                    // Long runs exercise the heap-based merge path and long whitespace runs.
                    text.Append(random.Next(3) switch { 0 => ' ', 1 => 'a', _ => '-' }, random.Next(40, 120));
                    break;
                default:
                    text.Append(Words[random.Next(Words.Length)]);
                    break;
            }
        }

        return text.ToString();
    }

    public static IEnumerable<string> Many(int seed, int count)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            yield return Next(random);
        }
    }

    /// <summary>A corpus of pseudo-words from a few syllables, so merges have something to learn.</summary>
    public static string Corpus(int seed, int words)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        for (int i = 0; i < words; i++)
        {
            text.Append(Words[(int)(Math.Pow(random.NextDouble(), 3) * Words.Length)]);
            text.Append(random.Next(12) switch { 0 => ".\n", 1 => ", ", 2 => "'s ", _ => " " });
        }

        return text.ToString();
    }

    private static readonly string[] Words = BuildWords();

    private static string[] BuildWords()
    {
        string[] syllables = ["ka", "lo", "mi", "ten", "ra", "su", "vo", "the", "ing", "er", "an", "de", "ö", "ch"];
        var random = new Random(7);
        var words = new string[300];
        for (int i = 0; i < words.Length; i++)
        {
            var word = new StringBuilder();
            int n = random.Next(1, 4);
            for (int s = 0; s < n; s++)
            {
                word.Append(syllables[random.Next(syllables.Length)]);
            }

            words[i] = i % 7 == 0 ? char.ToUpperInvariant(word[0]) + word.ToString(1, word.Length - 1) : word.ToString();
        }

        return words;
    }
}

using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using TinyGpt.Tokenization;

namespace TinyGpt.Tests.Tokenization;

public sealed class BpeTextTokenizerTests : IClassFixture<BpeTextTokenizerTests.TrainedFolder>
{
    private readonly TrainedFolder _folder;

    public BpeTextTokenizerTests(TrainedFolder folder) => _folder = folder;

    /// <summary>One tokenizer trained on a generated corpus (plus every edge-case fragment), saved to a temp folder.</summary>
    public sealed class TrainedFolder : IDisposable
    {
        public TrainedFolder()
        {
            string corpus = RandomText.Corpus(seed: 21, words: 40_000) + string.Concat(RandomText.Many(seed: 22, count: 2_000));
            Directory = Path.Combine(Path.GetTempPath(), "tinygpt-bpe-tokenizer-" + Guid.NewGuid().ToString("N"));
            new BpeTrainer(new BpeTrainerOptions { VocabSize = 2_000 }).Train([corpus]).Save(Directory);
            Tokenizer = BpeTextTokenizer.Load(Directory);
        }

        public string Directory { get; }

        public BpeTextTokenizer Tokenizer { get; }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }

    private BpeTokenizer MicrosoftTokenizer() => BpeTokenizer.Create(
        new BpeOptions(Path.Combine(_folder.Directory, BpeVocabulary.VocabFileName), Path.Combine(_folder.Directory, BpeVocabulary.MergesFileName))
        {
            ByteLevel = true,

            // Without the GPT-2 regex Microsoft.ML.Tokenizers splits on whitespace and loses the spaces.
            PreTokenizer = new RegexPreTokenizer(new Regex(Gpt2PreTokenizer.Pattern, RegexOptions.Compiled), null),
        });

    [Fact]
    public void Microsoft_ml_tokenizers_gives_the_same_ids_on_our_files()
    {
        BpeTokenizer microsoft = MicrosoftTokenizer();
        microsoft.Vocabulary.Should().HaveCount(_folder.Tokenizer.VocabSize);

        var inputs = RandomText.Many(seed: 31, count: 2_000).Append(RandomText.Corpus(seed: 32, words: 5_000));
        var different = inputs.Where(text => !microsoft.EncodeToIds(text).SequenceEqual(_folder.Tokenizer.Encode(text))).ToList();

        different.Should().BeEmpty("Microsoft.ML.Tokenizers and TinyGpt must give the same ids for every input");
    }

    [Fact]
    public void Round_trips_any_valid_string()
    {
        BpeTextTokenizer tokenizer = _folder.Tokenizer;
        var failures = new List<string>();
        foreach (string text in RandomText.Many(seed: 41, count: 10_000))
        {
            int[] ids = tokenizer.Encode(text);
            if (!ids.All(id => id >= 0 && id < tokenizer.VocabSize) || tokenizer.Decode(ids) != text)
            {
                failures.Add(text);
            }
        }

        failures.Should().BeEmpty("decode(encode(s)) must give back s");
    }

    [Fact]
    public void Text_that_looks_like_a_special_token_is_ordinary_text()
    {
        BpeTextTokenizer tokenizer = _folder.Tokenizer;
        foreach (var (special, id) in tokenizer.SpecialTokens)
        {
            int[] ids = tokenizer.Encode("a" + special + " " + special);
            ids.Should().NotContain(tokenizer.SpecialTokens.Values);
            tokenizer.Decode(ids).Should().Be("a" + special + " " + special);
            tokenizer.Decode([id]).Should().Be(special);
        }

        tokenizer.Decode([tokenizer.EndOfTextId!.Value, .. tokenizer.Encode("hi")]).Should().Be("</s>hi");
    }

    [Fact]
    public void Encoding_is_thread_safe()
    {
        string[] texts = [.. RandomText.Many(seed: 51, count: 2_000)];
        var fresh = new BpeTextTokenizer(_folder.Tokenizer.Vocabulary);
        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = fresh.Encode(texts[i]));

        for (int i = 0; i < texts.Length; i++)
        {
            parallel[i].Should().Equal(_folder.Tokenizer.Encode(texts[i]));
        }
    }

    [Fact]
    public void Big_texts_encoded_in_parallel_chunks_give_the_sequential_ids()
    {
        string text = RandomText.Corpus(seed: 71, words: 150_000);
        text.Length.Should().BeGreaterThan(600_000, "the text must be long enough to be cut into chunks");

        int[] ids = _folder.Tokenizer.Encode(text);

        ids.Should().Equal(new ByteLevelBpeEncoder(_folder.Tokenizer.Vocabulary).EncodeSequential(text));
        _folder.Tokenizer.Decode(ids).Should().Be(text);
    }

    [Fact]
    public void Long_pieces_encode_like_short_ones()
    {
        // Pieces over the rescan limit use the heap-based merge; both must agree with Microsoft.ML.Tokenizers.
        BpeTokenizer microsoft = MicrosoftTokenizer();
        foreach (string text in new[] { new string('a', 1_000), string.Concat(Enumerable.Repeat("kalo", 300)), new string(' ', 500) + "x", string.Concat(Enumerable.Repeat("ö-", 200)) })
        {
            int[] ids = _folder.Tokenizer.Encode(text);
            ids.Should().Equal(microsoft.EncodeToIds(text));
            _folder.Tokenizer.Decode(ids).Should().Be(text);
        }
    }

    [Fact]
    public void Long_pieces_match_a_reference_bpe()
    {
        // A plain reference: apply the best-ranked merge to all its occurrences, left to right, until none applies.
        BpeVocabulary vocabulary = _folder.Tokenizer.Vocabulary;
        var ranks = new Dictionary<(int, int), int>();
        for (int r = 0; r < vocabulary.Merges.Count; r++)
        {
            ranks.TryAdd((vocabulary.GetId(vocabulary.Merges[r].Left)!.Value, vocabulary.GetId(vocabulary.Merges[r].Right)!.Value), r);
        }

        List<int> Reference(string piece)
        {
            var symbols = System.Text.Encoding.UTF8.GetBytes(piece).Select(b => vocabulary.GetId(ByteLevelAlphabet.ByteToChar[b].ToString())!.Value).ToList();
            while (true)
            {
                var best = Enumerable.Range(0, Math.Max(symbols.Count - 1, 0))
                    .Select(i => ranks.TryGetValue((symbols[i], symbols[i + 1]), out int rank) ? rank : int.MaxValue)
                    .DefaultIfEmpty(int.MaxValue).Min();
                if (best == int.MaxValue)
                {
                    return symbols;
                }

                BpeMerge merge = vocabulary.Merges[best];
                int left = vocabulary.GetId(merge.Left)!.Value, right = vocabulary.GetId(merge.Right)!.Value, merged = vocabulary.GetId(merge.Merged)!.Value;
                var next = new List<int>();
                for (int i = 0; i < symbols.Count; i++)
                {
                    if (i + 1 < symbols.Count && symbols[i] == left && symbols[i + 1] == right)
                    {
                        next.Add(merged);
                        i++;
                    }
                    else
                    {
                        next.Add(symbols[i]);
                    }
                }

                symbols = next;
            }
        }

        var random = new Random(81);
        string[] syllables = ["ka", "lo", "mi", "ten", "ra", "su", "vo", "the", "ing", "er", "an", "de", "ö", "ch", "a", "aa"];
        for (int i = 0; i < 40; i++)
        {
            // One letter run of 520+ bytes: a single pre-token long enough for the heap-based path.
            string piece = string.Concat(Enumerable.Range(0, random.Next(200, 400)).Select(_ => syllables[random.Next(syllables.Length)]));
            _folder.Tokenizer.Encode(piece).Should().Equal(Reference(piece));
        }
    }

    [Fact]
    public void Decoding_an_unknown_id_says_which()
    {
        FluentActions.Invoking(() => _folder.Tokenizer.Decode([_folder.Tokenizer.VocabSize]))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage($"*{_folder.Tokenizer.VocabSize}*outside the vocabulary*");
    }

    [Fact]
    public void The_factory_loads_the_same_tokenizer()
    {
        ITextTokenizer loaded = TextTokenizers.Load(_folder.Directory);
        loaded.Fingerprint.Should().Be(_folder.Tokenizer.Fingerprint);
        loaded.Encode("Hello world</s>").Should().Equal(_folder.Tokenizer.Encode("Hello world</s>"));
    }
}

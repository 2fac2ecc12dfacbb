using TinyGpt.Tokenization;

namespace TinyGpt.Tests.Tokenization;

public sealed class BpeTrainerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "tinygpt-bpe-trainer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static BpeVocabulary Train(IEnumerable<string> texts, int vocabSize = 1_000, int minFrequency = 2, int? threads = null, IReadOnlyList<string>? specials = null)
    {
        var options = new BpeTrainerOptions { VocabSize = vocabSize, MinFrequency = minFrequency, MaxDegreeOfParallelism = threads };
        if (specials is not null)
        {
            options.SpecialTokens = specials;
        }

        return new BpeTrainer(options).Train(texts);
    }

    [Fact]
    public void First_merges_are_the_most_frequent_pairs_with_ties_to_the_smaller_ids()
    {
        // Pre-tokens: "low", " low" x4, " lower" x2, " newest" x6, " widest" x3.
        // (e,s) and (s,t) both occur 9 times; 'e' sorts first. Then (es,t) 9, (l,o) 7 tie (o,w) 7 -> 'l' first,
        // (lo,w) 7, then five pairs at 6 of which (e,w) has the smallest left id ('Ġ' sorts after ASCII).
        string corpus = "low low low low low lower lower newest newest newest newest newest newest widest widest widest";

        BpeVocabulary vocabulary = Train([corpus], minFrequency: 2);

        vocabulary.Merges.Take(5).Select(m => $"{m.Left} {m.Right}").Should().Equal("e s", "es t", "l o", "lo w", "e w");
        vocabulary.Tokens[261].Should().Be("es");
        vocabulary.Tokens[262].Should().Be("est");
    }

    [Fact]
    public void Special_tokens_come_first_with_stable_ids_then_the_256_byte_symbols()
    {
        BpeVocabulary vocabulary = Train([RandomText.Corpus(seed: 1, words: 500)]);

        vocabulary.Tokens.Take(5).Should().Equal("<s>", "<pad>", "</s>", "<unk>", "<mask>");
        vocabulary.SpecialTokens.Should().BeEquivalentTo(new Dictionary<string, int>
        {
            ["<s>"] = 0,
            ["<pad>"] = 1,
            ["</s>"] = 2,
            ["<unk>"] = 3,
            ["<mask>"] = 4,
        });
        vocabulary.Tokens[5].Should().Be("!");
        vocabulary.Tokens.Skip(5).Take(256).Should().OnlyHaveUniqueItems().And.AllSatisfy(t => t.Should().HaveLength(1));
        vocabulary.Tokens.Skip(5).Take(256).Should().BeInAscendingOrder(StringComparer.Ordinal);
        vocabulary.Tokens.Should().Contain("Ġ").And.Contain("Ċ");
        new BpeTextTokenizer(vocabulary).EndOfTextId.Should().Be(2);
    }

    [Fact]
    public void Vocab_size_is_honoured_exactly_when_the_corpus_allows()
    {
        BpeVocabulary vocabulary = Train([RandomText.Corpus(seed: 2, words: 20_000)], vocabSize: 600);

        vocabulary.Tokens.Should().HaveCount(600);
        vocabulary.Merges.Should().HaveCount(600 - 5 - 256);
    }

    [Fact]
    public void Min_frequency_is_honoured()
    {
        string[] texts = ["ab", "ab", "ab", "cd", "cd", "ef"];

        Train(texts, minFrequency: 3).Merges.Should().Equal(new BpeMerge("a", "b"));
        Train(texts, minFrequency: 2).Merges.Should().Equal(new BpeMerge("a", "b"), new BpeMerge("c", "d"));
        Train(texts, minFrequency: 0).Merges.Should().Equal(new BpeMerge("a", "b"), new BpeMerge("c", "d"), new BpeMerge("e", "f"));
    }

    [Fact]
    public void Overlapping_pairs_merge_left_to_right_and_counts_stay_exact()
    {
        // "aaaa" -> (a,a) counted 3 times; after the merge the word is "aa aa", so (aa,aa) occurs once per word.
        BpeVocabulary vocabulary = Train(["aaaa", "aaaa", "aaa"], minFrequency: 0);

        vocabulary.Merges.Select(m => $"{m.Left} {m.Right}").Should().Equal("a a", "aa aa", "aa a");
        new BpeTextTokenizer(vocabulary).Encode("aaaaaaa").Select(id => vocabulary.Tokens[id]).Should().Equal("aaaa", "aaa");
    }

    [Fact]
    public void Training_is_deterministic_and_independent_of_thread_count()
    {
        // Over 512K chars, so the corpus is cut into chunks counted in parallel.
        string corpus = RandomText.Corpus(seed: 3, words: 120_000);
        corpus.Length.Should().BeGreaterThan(600_000);

        Train([corpus], vocabSize: 800, threads: 1).Save(Path.Combine(_root, "a"));
        Train([corpus], vocabSize: 800, threads: 4).Save(Path.Combine(_root, "b"));
        Train([corpus], vocabSize: 800).Save(Path.Combine(_root, "c"));

        foreach (string file in new[] { BpeVocabulary.VocabFileName, BpeVocabulary.MergesFileName, BpeVocabulary.TokenizerJsonFileName })
        {
            byte[] first = File.ReadAllBytes(Path.Combine(_root, "a", file));
            File.ReadAllBytes(Path.Combine(_root, "b", file)).Should().Equal(first, because: file + " must not depend on threads");
            File.ReadAllBytes(Path.Combine(_root, "c", file)).Should().Equal(first, because: file + " must be the same every run");
        }
    }

    [Fact]
    public void Saved_files_have_the_hugging_face_layout_and_load_back_identically()
    {
        BpeVocabulary vocabulary = Train([RandomText.Corpus(seed: 4, words: 3_000)], vocabSize: 500);
        string dir = Path.Combine(_root, "saved");
        vocabulary.Save(dir);

        string[] merges = File.ReadAllLines(Path.Combine(dir, BpeVocabulary.MergesFileName));
        merges[0].Should().Be("#version: 0.2");
        merges.Skip(1).Should().HaveCount(vocabulary.Merges.Count).And.AllSatisfy(line => line.Split(' ').Should().HaveCount(2));
        File.ReadAllText(Path.Combine(dir, BpeVocabulary.VocabFileName)).Should().StartWith("{\"<s>\":0,\"<pad>\":1,\"</s>\":2,");
        File.ReadAllText(Path.Combine(dir, BpeVocabulary.TokenizerJsonFileName)).Should().Contain("\"type\":\"BPE\"");

        BpeVocabulary loaded = BpeVocabulary.Load(dir);
        loaded.Tokens.Should().Equal(vocabulary.Tokens);
        loaded.Merges.Should().Equal(vocabulary.Merges);
        loaded.SpecialTokens.Should().BeEquivalentTo(vocabulary.SpecialTokens);
        loaded.Fingerprint.Should().Be(vocabulary.Fingerprint).And.MatchRegex("^[0-9a-f]{64}$");
    }

    [Fact]
    public void Fingerprint_changes_with_the_merges()
    {
        string corpus = RandomText.Corpus(seed: 6, words: 3_000);
        Train([corpus], vocabSize: 400).Fingerprint.Should().NotBe(Train([corpus], vocabSize: 401).Fingerprint);
    }

    [Fact]
    public void A_merge_that_would_spell_a_special_token_is_skipped()
    {
        BpeVocabulary vocabulary = Train(["ab", "ab", "ab", "cd", "cd"], specials: ["<s>", "ab"], minFrequency: 0);

        vocabulary.Merges.Should().Equal(new BpeMerge("c", "d"));
        var tokenizer = new BpeTextTokenizer(vocabulary);
        tokenizer.Encode("ab").Should().NotContain(1).And.HaveCount(2);
        tokenizer.Decode([1]).Should().Be("ab");
    }

    [Fact]
    public void Bad_options_are_rejected_with_a_clear_message()
    {
        FluentActions.Invoking(() => new BpeTrainer(new BpeTrainerOptions { VocabSize = 100 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*at least 261*");
        FluentActions.Invoking(() => new BpeTrainer(new BpeTrainerOptions { SpecialTokens = ["<s>", "<s>"] }))
            .Should().Throw<ArgumentException>().WithMessage("*twice*");
        FluentActions.Invoking(() => new BpeTrainer(new BpeTrainerOptions { SpecialTokens = ["a"] }))
            .Should().Throw<ArgumentException>().WithMessage("*byte symbol*");
        FluentActions.Invoking(() => new BpeTrainer(new BpeTrainerOptions { SpecialTokens = null! }))
            .Should().Throw<ArgumentNullException>().WithMessage("*empty list*");
        FluentActions.Invoking(() => new BpeTrainer(new BpeTrainerOptions { MinFrequency = -1 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*MinFrequency*");
        FluentActions.Invoking(() => new BpeTrainer().TrainFromFiles([Path.Combine(_root, "missing.txt")]))
            .Should().Throw<FileNotFoundException>().WithMessage("*does not exist*");
    }

    [Fact]
    public void Training_from_files_saves_a_folder_the_factory_loads()
    {
        Directory.CreateDirectory(_root);
        string[] files = [Path.Combine(_root, "a.txt"), Path.Combine(_root, "b.txt")];
        File.WriteAllText(files[0], RandomText.Corpus(seed: 12, words: 2_000));
        File.WriteAllText(files[1], RandomText.Corpus(seed: 13, words: 2_000));
        string dir = Path.Combine(_root, "tokenizer");

        ITextTokenizer trained = TextTokenizers.TrainAndSave(files, dir, new BpeTrainerOptions { VocabSize = 400 });
        ITextTokenizer loaded = TextTokenizers.Load(dir);

        trained.VocabSize.Should().Be(400);
        loaded.Fingerprint.Should().Be(trained.Fingerprint);
        loaded.Fingerprint.Should().Be(Train(files.Select(File.ReadAllText), vocabSize: 400).Fingerprint);
    }

    [Fact]
    public void Changing_options_after_creating_the_trainer_has_no_effect()
    {
        var options = new BpeTrainerOptions { VocabSize = 300 };
        var trainer = new BpeTrainer(options);
        options.VocabSize = 10;

        trainer.Train([RandomText.Corpus(seed: 9, words: 2_000)]).Tokens.Should().HaveCount(300);
    }

    [Fact]
    public void Loading_a_folder_without_the_files_says_what_is_missing()
    {
        FluentActions.Invoking(() => TextTokenizers.Load(Path.Combine(_root, "nothing")))
            .Should().Throw<FileNotFoundException>().WithMessage("*vocab.json*merges.txt*");
    }

    [Fact]
    public void Merges_that_do_not_belong_to_the_vocabulary_are_rejected()
    {
        string dir = Path.Combine(_root, "broken");
        Train([RandomText.Corpus(seed: 8, words: 500)], vocabSize: 300).Save(dir);
        File.AppendAllText(Path.Combine(dir, BpeVocabulary.MergesFileName), "q zz\n");

        FluentActions.Invoking(() => BpeVocabulary.Load(dir))
            .Should().Throw<InvalidDataException>().WithMessage("*'q zz'*not in the vocabulary*");
    }
}

using TinyGpt.Generation;
using TinyGpt.Modeling;
using TinyGpt.Ngrams;
using TinyGpt.Tests.Training;
using TorchSharp;

namespace TinyGpt.Tests.Generation;

public class TokenGeneratorTests
{
    private static readonly GptConfig Config = GptConfig.Tiny with { VocabSize = 61, ContextLength = 24, EmbeddingSize = 32, LayerCount = 2, HeadCount = 2 };

    [Fact]
    public void Kv_cached_decoding_gives_the_same_greedy_tokens_as_recomputing()
    {
        using var model = new GptModel(Config, seed: 5);
        var options = new GenerationOptions { MaxNewTokens = 15, Sampling = SamplingOptions.Greedy };
        var cached = new TokenGenerator(model).Generate([1, 2, 3], options);
        var recomputed = new TokenGenerator(model) { UseKvCache = false }.Generate([1, 2, 3], options);
        cached.Should().HaveCount(15).And.Equal(recomputed);
    }

    [Fact]
    public void With_the_ngram_model_alone_an_untrained_network_continues_the_counted_text_cached_or_not()
    {
        // Weight 1 leaves only the n-gram, which has seen one sentence: its greedy continuation
        // reads the prompt (the history) and then its own tokens.
        var data = RepeatedSentence.Data(10);
        var ngram = KneserNeyModel.Train(data.Train, vocabSize: 256, maxOrder: 3);
        using var model = new GptModel(GptConfig.Tiny with { VocabSize = 256, ContextLength = 64, EmbeddingSize = 32, LayerCount = 1, HeadCount = 2 }, seed: 1);
        var options = new GenerationOptions { MaxNewTokens = 25, Sampling = SamplingOptions.Greedy with { Ngram = ngram, NgramWeight = 1 } };
        var prompt = data.Tokenizer.Encode("the quick brown fox ");

        var cached = new TextGenerator(model, data.Tokenizer).Generate("the quick brown fox ", options);
        var recomputed = new TokenGenerator(model) { UseKvCache = false }.Generate(prompt, options);
        cached.Should().Be("jumps over the lazy dog. ");
        recomputed.Should().Equal(data.Tokenizer.Encode(cached));
        new TextGenerator(model, data.Tokenizer).Generate("the quick brown fox ", options with { Sampling = SamplingOptions.Greedy }).Should().NotBe(cached, "the untrained network alone does not know the sentence");
    }

    [Fact]
    public void No_repeat_ngram_decoding_never_repeats_a_trigram_cached_or_not()
    {
        using var model = new GptModel(Config with { ContextLength = 64 }, seed: 5);
        var plain = new GenerationOptions { MaxNewTokens = 50, Sampling = SamplingOptions.Greedy };
        int[] prompt = [1, 2, 3];
        static int RepeatedTrigrams(IReadOnlyList<int> t) =>
            Enumerable.Range(0, t.Count - 2).Select(i => (t[i], t[i + 1], t[i + 2])).GroupBy(g => g).Sum(g => g.Count() - 1);

        var looping = new TokenGenerator(model).Generate(prompt, plain);
        RepeatedTrigrams([.. prompt, .. looping]).Should().BeGreaterThan(0, "an untrained model's greedy output loops, so the ban has something to remove");

        foreach (var sampling in new[] { SamplingOptions.Greedy with { NoRepeatNgramSize = 3 }, new SamplingOptions { Temperature = 0.9, TopK = 5, Seed = 2, NoRepeatNgramSize = 3 } })
        {
            var options = plain with { Sampling = sampling };
            var cached = new TokenGenerator(model).Generate(prompt, options);
            var recomputed = new TokenGenerator(model) { UseKvCache = false }.Generate(prompt, options);
            cached.Should().HaveCount(50).And.Equal(recomputed);
            RepeatedTrigrams([.. prompt, .. cached]).Should().Be(0);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_decode_weight_layout_gives_the_same_greedy_and_seeded_tokens_as_the_module_weights(bool tiedEmbeddings)
    {
        using var model = new GptModel(Config with { TieEmbeddings = tiedEmbeddings }, seed: 8);
        foreach (var sampling in new[] { SamplingOptions.Greedy, new SamplingOptions { Temperature = 0.9, TopK = 20, Seed = 4 } })
        {
            var options = new GenerationOptions { MaxNewTokens = 30, Sampling = sampling, ContextOverflow = ContextOverflow.KeepLastTokens };
            var layout = new TokenGenerator(model).Generate([3, 1, 4, 1, 5], options);
            var module = new TokenGenerator(model) { UseDecodeLayout = false }.Generate([3, 1, 4, 1, 5], options);
            layout.Should().HaveCount(30).And.Equal(module);
        }
    }

    [Fact]
    public void The_decode_layout_gives_the_module_weights_logits_and_is_freed_with_its_cache()
    {
        using var model = new GptModel(Config, seed: 9);
        model.eval();
        using var noGrad = TorchSharp.torch.no_grad();
        using var tokens = TorchSharp.torch.tensor(new long[] { 5, 9, 2, 7 }).unsqueeze(0);
        using var plainCache = model.CreateCache();
        using var expected = model.forward(tokens, plainCache);
        var layoutCache = model.CreateCache(1, decodeLayout: true);
        using (var actual = model.forward(tokens, layoutCache))
        {
            (actual - expected).abs().max().item<float>().Should().BeLessThan(1e-5f);
        }

        layoutCache.Dispose();
        layoutCache.DecodeWeights!.Head.IsInvalid.Should().BeTrue("the copies go with the cache");
    }

    [Fact]
    public void Weights_changed_between_generations_are_used_by_the_next_one_on_kept_copies()
    {
        using var model = new GptModel(Config, seed: 10);
        var generator = new TokenGenerator(model) { IdleTimeout = Timeout.InfiniteTimeSpan };
        var options = new GenerationOptions { MaxNewTokens = 12, Sampling = SamplingOptions.Greedy };
        var before = generator.Generate([2, 7, 1], options);
        using (var noGrad = TorchSharp.torch.no_grad())
        using (var noise = new TorchSharp.torch.Generator(3))
        using (var half = 0.5.ToScalar())
        {
            foreach (var parameter in model.parameters())
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                parameter.add_(TorchSharp.torch.randn(parameter.shape, generator: noise), half);
            }
        }

        var after = generator.Generate([2, 7, 1], options);
        generator.Batcher.CachesMade.Should().Be(1, "the second generation started on the kept cache");
        after.Should().Equal(new TokenGenerator(model).Generate([2, 7, 1], options), "the kept copies were packed again from the changed weights").And.NotEqual(before);
    }

    [Fact]
    public void A_model_moved_to_another_precision_between_generations_gets_a_new_cache()
    {
        using var model = new GptModel(Config, seed: 13);
        var generator = new TokenGenerator(model) { IdleTimeout = Timeout.InfiniteTimeSpan };
        var options = new GenerationOptions { MaxNewTokens = 8, Sampling = SamplingOptions.Greedy };
        var single = generator.Generate([3, 4], options);
        model.to(TorchSharp.torch.ScalarType.Float64);
        var twice = generator.Generate([3, 4], options);
        generator.Batcher.CachesMade.Should().Be(2, "fp32 keys, values and packed copies do not fit an fp64 model");
        twice.Should().Equal(new TokenGenerator(model).Generate([3, 4], options));
        single.Should().HaveCount(8);
    }

    [Fact]
    public void An_idle_generator_frees_its_cache_after_its_idle_timeout_and_makes_a_new_one_for_the_next_generation()
    {
        using var model = new GptModel(Config, seed: 11);
        var options = new GenerationOptions { MaxNewTokens = 4, Sampling = SamplingOptions.Greedy };
        var kept = new TokenGenerator(model) { IdleTimeout = Timeout.InfiniteTimeSpan };
        kept.Generate([1], options);
        kept.Generate([2], options);
        kept.Batcher.CachesMade.Should().Be(1);
        kept.Batcher.Running.Should().BeTrue("the loop idles on its cache");

        var freed = new TokenGenerator(model) { IdleTimeout = TimeSpan.FromMilliseconds(50) };
        var first = freed.Generate([1], options);
        SpinWait.SpinUntil(() => !freed.Batcher.Running, TimeSpan.FromSeconds(30)).Should().BeTrue("the loop ends once idle for its timeout");
        freed.Generate([1], options).Should().Equal(first);
        freed.Batcher.CachesMade.Should().Be(2);
    }

    [Fact]
    public void At_process_exit_the_decoding_loop_stops_between_steps_and_fails_its_requests()
    {
        using var model = new GptModel(Config, seed: 14);
        var generator = new TokenGenerator(model);
        var endless = new GenerationOptions { MaxNewTokens = 1_000_000, ContextOverflow = ContextOverflow.KeepLastTokens, Sampling = SamplingOptions.Greedy };
        using var tokens = generator.GenerateStreaming([1, 2], endless).GetEnumerator();
        tokens.MoveNext().Should().BeTrue();

        generator.Batcher.StopForExit();

        generator.Batcher.Running.Should().BeFalse("the loop's thread has left libtorch before the process tears it down");
        var reading = () =>
        {
            // Bounded, so a loop that did not stop fails here instead of hanging the test.
            for (var read = 0; read < 10_000 && tokens.MoveNext(); read++)
            {
            }
        };
        reading.Should().Throw<InvalidOperationException>().WithMessage("*process is exiting*");
    }

    [Fact]
    public void A_negative_idle_timeout_is_rejected()
    {
        using var model = new GptModel(Config);
        FluentActions.Invoking(() => new TokenGenerator(model) { IdleTimeout = TimeSpan.FromSeconds(-1) })
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*idle timeout*InfiniteTimeSpan*");
    }

    [Fact]
    public void Refreshing_the_decode_copies_packs_again_only_the_changed_weights()
    {
        using var model = new GptModel(Config, seed: 12);
        model.eval();
        using var noGrad = TorchSharp.torch.no_grad();
        using var cache = model.CreateCache(1, decodeLayout: true);
        var weights = cache.DecodeWeights!;
        weights.Refresh().Should().Be(0);
        var fc = model.modules().OfType<TorchSharp.Modules.Linear>().First();
        using var input = TorchSharp.torch.randn(1, fc.weight!.shape[1]);
        using (var two = TorchSharp.torch.tensor(2f))
        {
            fc.weight!.mul_(two);
        }

        weights.Refresh().Should().Be(1);
        using var expected = fc.forward(input);
        using var actual = weights.Apply(fc, input);
        (actual - expected).abs().max().item<float>().Should().BeLessThan(1e-5f);
        weights.Refresh().Should().Be(0);
    }

    [Fact]
    public void Seeded_sampling_is_reproducible()
    {
        using var model = new GptModel(Config, seed: 6);
        var generator = new TokenGenerator(model);
        var options = new GenerationOptions { MaxNewTokens = 10, Sampling = new SamplingOptions { Temperature = 1.5, TopK = 20, Seed = 9 } };
        generator.Generate([4], options).Should().Equal(generator.Generate([4], options));
    }

    [Fact]
    public void Stop_tokens_end_generation_without_being_returned()
    {
        using var model = new GptModel(Config, seed: 7);
        var generator = new TokenGenerator(model);
        var greedy = generator.Generate([1, 2], new GenerationOptions { MaxNewTokens = 8, Sampling = SamplingOptions.Greedy });
        var stopAt = greedy[3];
        var stopped = generator.Generate([1, 2], new GenerationOptions { MaxNewTokens = 8, Sampling = SamplingOptions.Greedy, StopTokenIds = [stopAt] });
        stopped.Should().Equal(greedy.TakeWhile(t => t != stopAt));
    }

    [Fact]
    public void Overflowing_the_context_is_an_error_by_default_and_slides_when_asked()
    {
        using var model = new GptModel(Config, seed: 8);
        var generator = new TokenGenerator(model);
        var prompt = Enumerable.Range(0, 20).ToArray();
        var act = () => generator.Generate(prompt, new GenerationOptions { MaxNewTokens = 10 });
        act.Should().Throw<ArgumentException>().WithMessage("*20 tokens*10 new tokens*context of 24*KeepLastTokens*");

        var slid = generator.Generate(prompt, new GenerationOptions { MaxNewTokens = 40, ContextOverflow = ContextOverflow.KeepLastTokens, Sampling = SamplingOptions.Greedy });
        slid.Should().HaveCount(40);
    }

    [Fact]
    public void Bad_prompts_are_rejected()
    {
        using var model = new GptModel(Config);
        var generator = new TokenGenerator(model);
        FluentActions.Invoking(() => generator.Generate([])).Should().Throw<ArgumentException>().WithMessage("*empty*");
        FluentActions.Invoking(() => generator.Generate([61])).Should().Throw<ArgumentException>().WithMessage("*61*vocabulary*");
    }

    [Fact]
    public async Task Streaming_honours_cancellation()
    {
        using var model = new GptModel(Config);
        var generator = new TokenGenerator(model);
        using var cts = new CancellationTokenSource();
        var received = new List<int>();
        var act = async () =>
        {
            await foreach (var token in generator.GenerateStreamingAsync([1], new GenerationOptions { MaxNewTokens = 20 }, cts.Token))
            {
                received.Add(token);
                if (received.Count == 3)
                {
                    await cts.CancelAsync();
                }
            }
        };
        await act.Should().ThrowAsync<OperationCanceledException>();
        received.Should().HaveCount(3);
    }
}

using TinyGpt.Generation;
using TinyGpt.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Generation;

public class BatchedGenerationTests
{
    private static readonly GptConfig Config = GptConfig.Tiny with { VocabSize = 61, ContextLength = 24, EmbeddingSize = 32, LayerCount = 2, HeadCount = 2 };

    private static readonly IReadOnlyList<int>[] Prompts = [[1, 2, 3], [7], [4, 4, 9, 12, 30, 2, 8], [50, 3]];

    // Far more tokens than a test reads or waits for: such a row ends only by leaving the batch.
    private static readonly GenerationOptions Endless = new() { MaxNewTokens = 1_000_000, ContextOverflow = ContextOverflow.KeepLastTokens, Sampling = SamplingOptions.Greedy };

    // fp32 on the CPU attends by hand (DecodeAttention); fp64 takes the scatter, mask and SDPA a GPU would.
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void A_batch_step_over_rows_of_different_lengths_gives_each_rows_lone_logits(ScalarType dtype)
    {
        using var model = new GptModel(Config, seed: 3);
        model.to(dtype);
        model.eval();
        using var noGrad = no_grad();
        using var batch = model.CreateBatchedCache(4, decodeLayout: false);
        var expected = new List<Tensor>();
        foreach (var prompt in Prompts)
        {
            // Alone: the whole prompt through a one-sequence cache, last position's logits.
            using var lone = model.CreateCache();
            using var ids = tensor(prompt.Select(t => (long)t).ToArray()).unsqueeze(0);
            using var logits = model.forward(ids, lone, lastPositionOnly: true);
            expected.Add(logits.reshape(-1).clone());

            var row = batch.AddRow();
            using var rowCache = batch.Row(row);
            if (prompt.Count > 1)
            {
                using var head = tensor(prompt.Take(prompt.Count - 1).Select(t => (long)t).ToArray()).unsqueeze(0);
                model.forward(head, rowCache, lastPositionOnly: true).Dispose();
            }

            batch.CompletePrefill(row, rowCache);
        }

        if (dtype == ScalarType.Float32)
        {
            // The attention by hand leaves unwritten slots as the memory held them: as NaN, a read of
            // one would show in the logits. (SDPA's masked reads need zeros there: fp64 keeps them.)
            batch.FillUnwrittenSlotsWithNaN();
        }

        using var last = tensor(Prompts.Select(p => (long)p[^1]).ToArray(), [Prompts.Length, 1]);
        using var step = model.DecodeStep(last, batch);
        step.shape.Should().Equal([Prompts.Length, 1, Config.VocabSize]);
        for (var row = 0; row < Prompts.Length; row++)
        {
            using var actual = step[row].reshape(-1);
            (actual - expected[row]).abs().max().to(ScalarType.Float64).item<double>().Should().BeLessThan(1e-5, $"row {row} sees only its own {Prompts[row].Count} positions");
            batch.Length(row).Should().Be(Prompts[row].Count);
        }

        foreach (var t in expected)
        {
            t.Dispose();
        }
    }

    [Fact]
    public void Reserving_rows_for_a_burst_grows_the_storage_once_and_keeps_the_rows_in_it()
    {
        using var model = new GptModel(Config, seed: 4);
        model.eval();
        using var noGrad = no_grad();
        using var batch = model.CreateBatchedCache(8, decodeLayout: false);
        var prompt = Prompts[2];
        using var lone = model.CreateCache();
        using var ids = tensor(prompt.Select(t => (long)t).ToArray()).unsqueeze(0);
        using var expected = model.forward(ids, lone, lastPositionOnly: true).reshape(-1);

        var first = batch.AddRow();
        using (var rowCache = batch.Row(first))
        {
            using var head = tensor(prompt.Take(prompt.Count - 1).Select(t => (long)t).ToArray()).unsqueeze(0);
            model.forward(head, rowCache, lastPositionOnly: true).Dispose();
            batch.CompletePrefill(first, rowCache);
        }

        batch.Grows.Should().Be(1);
        batch.Reserve(6);
        batch.Grows.Should().Be(2, "six rows are made room for in one allocation, not 2, 4, then 8");
        for (var i = 0; i < 5; i++)
        {
            batch.AddRow();
        }

        batch.Reserve(20);
        batch.Grows.Should().Be(2, "the rows fit, and a reservation past the capacity stops at it");
        batch.Count.Should().Be(6);

        // Only the first row decodes: the others are removed, the kept row moved with the storage.
        for (var row = batch.Count - 1; row > 0; row--)
        {
            batch.RemoveRow(row);
        }

        batch.FillUnwrittenSlotsWithNaN();
        using var last = tensor(new long[] { prompt[^1] }, [1, 1]);
        using var step = model.DecodeStep(last, batch);
        using var actual = step.reshape(-1);
        (actual - expected).abs().max().item<float>().Should().BeLessThan(1e-5f, "the prefilled row survived the growth");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_batch_of_prompts_of_different_lengths_gives_each_prompt_its_lone_tokens(bool decodeLayout)
    {
        using var model = new GptModel(Config, seed: 11);
        var options = Prompts.Select((_, i) => new GenerationOptions
        {
            // Different limits, so rows leave the batch at different steps.
            MaxNewTokens = 6 + (5 * i),
            Sampling = i % 2 == 0 ? SamplingOptions.Greedy : new SamplingOptions { Temperature = 1.2, TopK = 30, Seed = 100 + i },
        }).ToArray();
        var generator = new TokenGenerator(model) { UseDecodeLayout = decodeLayout };

        var batched = await generator.GenerateBatchAsync(Prompts, options);

        batched.Select(tokens => tokens.Length).Should().Equal(options.Select(o => o.MaxNewTokens));
        EachIsItsLoneGeneration(model, Prompts, batched, i => options[i]);

        generator.Batcher.LargestBatch.Should().Be(Prompts.Length);
        generator.Batcher.Steps.Should().Be(options.Max(o => o.MaxNewTokens), "the rows share steps; the longest sets their number");
    }

    [Fact]
    public async Task Rows_that_outgrow_the_context_slide_as_they_would_alone()
    {
        using var model = new GptModel(Config, seed: 12);
        var options = new GenerationOptions { MaxNewTokens = 50, ContextOverflow = ContextOverflow.KeepLastTokens, Sampling = SamplingOptions.Greedy };
        var generator = new TokenGenerator(model);
        var batched = await generator.GenerateBatchAsync(Prompts, options);
        EachIsItsLoneGeneration(model, Prompts, batched, _ => options);
    }

    [Fact]
    public async Task Stop_tokens_are_per_row()
    {
        using var model = new GptModel(Config, seed: 13);
        var generator = new TokenGenerator(model);
        var greedy = new GenerationOptions { MaxNewTokens = 12, Sampling = SamplingOptions.Greedy };
        var free = await generator.GenerateBatchAsync(Prompts, greedy);
        var stops = free.Select(tokens => greedy with { StopTokenIds = [tokens[2]] }).ToArray();
        var stopped = await generator.GenerateBatchAsync(Prompts, stops);
        for (var i = 0; i < Prompts.Length; i++)
        {
            stopped[i].Should().Equal(free[i].TakeWhile(t => t != free[i][2]));
        }
    }

    [Fact]
    public async Task A_request_that_arrives_during_decoding_joins_the_running_batch()
    {
        using var model = new GptModel(Config, seed: 14);
        var generator = new TokenGenerator(model);
        // Endless: the first row is still decoding whenever the second arrives.
        var late = new GenerationOptions { MaxNewTokens = 10, Sampling = new SamplingOptions { Temperature = 0.9, Seed = 5 } };
        var first = new List<int>();
        int[]? joined = null;
        await foreach (var token in generator.GenerateStreamingAsync([5, 6], Endless))
        {
            first.Add(token);
            if (first.Count == 20)
            {
                joined = await generator.GenerateAsync([9, 9, 9], late);
                generator.Batcher.LargestBatch.Should().Be(2, "the late request decoded beside the running one");
            }

            if (first.Count == 60)
            {
                break;
            }
        }

        var alone = new TokenGenerator(model) { UseKvCache = false };
        joined.Should().Equal(alone.Generate([9, 9, 9], late));
        first.Should().Equal(alone.Generate([5, 6], Endless with { MaxNewTokens = 60 }), "greedy decoding of 60 tokens is the first 60 of a longer run");
    }

    [Fact]
    public async Task More_requests_than_rows_wait_their_turn_and_each_gets_its_lone_output()
    {
        using var model = new GptModel(Config, seed: 15);
        var generator = new TokenGenerator(model, maxBatchSize: 2);
        var options = new GenerationOptions { MaxNewTokens = 8, Sampling = new SamplingOptions { Temperature = 1.0, Seed = 3 } };
        var prompts = Enumerable.Range(1, 7).Select(i => (IReadOnlyList<int>)[i, i + 1]).ToArray();
        var results = await Task.WhenAll(prompts.Select(p => generator.GenerateAsync(p, options)));
        generator.Batcher.LargestBatch.Should().Be(2, "seven requests queued at once fill both rows, and never more");
        EachIsItsLoneGeneration(model, prompts, results, _ => options);
    }

    [Fact]
    public async Task A_cancelled_or_abandoned_request_leaves_the_batch_and_the_others_go_on()
    {
        using var model = new GptModel(Config, seed: 16);
        var generator = new TokenGenerator(model);
        using var cts = new CancellationTokenSource();
        var cancelled = Task.Run(async () =>
        {
            var count = 0;
            await foreach (var token in generator.GenerateStreamingAsync([1], Endless, cts.Token))
            {
                if (++count == 5)
                {
                    await cts.CancelAsync();
                }
            }
        });
        var abandoned = Task.Run(async () =>
        {
            await foreach (var token in generator.GenerateStreamingAsync([2], Endless))
            {
                break;
            }
        });
        var survivor = generator.GenerateAsync([3], Endless with { MaxNewTokens = 60 });

        await FluentActions.Awaiting(() => cancelled).Should().ThrowAsync<OperationCanceledException>();
        await abandoned;
        (await survivor).Should().Equal(new TokenGenerator(model) { UseKvCache = false }.Generate([3], Endless with { MaxNewTokens = 60 }));

        // Every caller is gone; once the loop has seen that, it takes no more steps.
        await Task.Delay(200);
        var steps = generator.Batcher.Steps;
        await Task.Delay(200);
        generator.Batcher.Steps.Should().Be(steps, "rows whose callers left stopped costing steps");
    }

    [Fact]
    public async Task A_row_whose_step_fails_gets_the_error_and_later_requests_still_decode()
    {
        using var model = new GptModel(Config, seed: 18);
        var generator = new TokenGenerator(model);
        var options = new GenerationOptions { MaxNewTokens = 5, Sampling = SamplingOptions.Greedy };
        // Past the checks a caller goes through: an id outside the vocabulary fails inside the loop.
        using (var broken = generator.Batcher.Submit([3, 1000], options, CancellationToken.None))
        {
            var read = async () => await broken.Reader.ReadAllAsync().ToListAsync();
            await read.Should().ThrowAsync<Exception>();
        }

        (await generator.GenerateAsync([3, 4], options)).Should().Equal(new TokenGenerator(model) { UseKvCache = false }.Generate([3, 4], options));
    }

    [Fact]
    public async Task A_bad_prompt_fails_the_whole_batch_before_anything_is_decoded()
    {
        using var model = new GptModel(Config, seed: 17);
        var generator = new TokenGenerator(model);
        var act = () => generator.GenerateBatchAsync([[1, 2], [99]], new GenerationOptions { MaxNewTokens = 5 });
        await act.Should().ThrowAsync<ArgumentException>().WithMessage("*99*vocabulary*");
        var mismatched = () => generator.GenerateBatchAsync([[1, 2], [3]], [new GenerationOptions { MaxNewTokens = 5 }]);
        await mismatched.Should().ThrowAsync<ArgumentException>().WithMessage("*1 options for 2 prompts*");
        generator.Batcher.Steps.Should().Be(0);
    }

    // Checks each row against the uncached reference path, an independent implementation.
    private static void EachIsItsLoneGeneration(GptModel model, IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<int[]> results, Func<int, GenerationOptions> options)
    {
        var alone = new TokenGenerator(model) { UseKvCache = false };
        for (var i = 0; i < prompts.Count; i++)
        {
            results[i].Should().Equal(alone.Generate(prompts[i], options(i)), $"row {i} decodes as it would alone");
        }
    }
}

using System.Text.Json;
using TinyGpt.Text;
using TinyGpt.Tokens;

namespace TinyGpt.Tests.Data;

public sealed class TokenBatchSourceTests
{
    // Token i has id i, so a window's ids tell where it starts.
    private static TokenArray Sequence(int count) => new(Enumerable.Range(0, count).ToArray());

    private static TokenBatchSourceOptions Options(int batch = 4, int context = 8, ulong seed = 1, BatchOrder mode = BatchOrder.ShuffledEpochs, int rank = 0, int world = 1) =>
        new() { BatchSize = batch, ContextLength = context, Seed = seed, Order = mode, Rank = rank, WorldSize = world };

    private static List<long[]> Take(TokenBatchSource sampler, int batches) =>
        Enumerable.Range(0, batches).Select(_ => sampler.NextBatch().Tokens).ToList();

    [Theory]
    [InlineData(BatchOrder.ShuffledEpochs)]
    [InlineData(BatchOrder.RandomOffsets)]
    public void Rows_are_contiguous_windows_and_targets_are_inputs_shifted_by_one(BatchOrder mode)
    {
        var sampler = new TokenBatchSource(Sequence(1000), Options(mode: mode));

        var batch = sampler.NextBatch();

        batch.Tokens.Should().HaveCount(4 * 9);
        for (var row = 0; row < batch.BatchSize; row++)
        {
            var values = batch.Row(row).ToArray();
            values.Should().Equal(Enumerable.Range((int)values[0], 9).Select(v => (long)v));
            batch.Target(row).ToArray().Should().Equal(values.Skip(1));
            batch.Input(row).ToArray().Should().Equal(values.Take(8));
            if (mode == BatchOrder.ShuffledEpochs)
            {
                (values[0] % 8).Should().Be(0, "shuffled epochs use non-overlapping windows at multiples of T");
            }
        }
    }

    [Fact]
    public void An_epoch_uses_every_window_once_except_the_counted_tail()
    {
        // 1001 tokens: (1001 - 1) / 8 = 125 windows; global batch 6 gives 20 steps and drops 5.
        var sampler = new TokenBatchSource(Sequence(1001), Options(batch: 3, world: 2));
        sampler.WindowCount.Should().Be(125);
        sampler.StepsPerEpoch.Should().Be(20);
        sampler.DroppedWindowsPerEpoch.Should().Be(5);

        var starts = Enumerable.Range(0, 20).SelectMany(step => Enumerable.Range(0, 6).Select(row => sampler.WindowStart(new BatchPosition(0, step), row))).ToList();

        starts.Should().OnlyHaveUniqueItems().And.HaveCount(120).And.OnlyContain(s => s % 8 == 0 && s + 8 <= 1000);
        var lastBefore = sampler.Position;
        for (var i = 0; i < 20; i++)
        {
            sampler.NextBatch();
        }

        lastBefore.Should().Be(new BatchPosition(0, 0));
        sampler.Position.Should().Be(new BatchPosition(1, 0), "the epoch rolls over after its last step");
    }

    [Theory]
    [InlineData(BatchOrder.ShuffledEpochs)]
    [InlineData(BatchOrder.RandomOffsets)]
    public void Same_seed_gives_the_same_batches_and_another_seed_different_ones(BatchOrder mode)
    {
        var a = Take(new TokenBatchSource(Sequence(5000), Options(seed: 7, mode: mode)), 30);
        var b = Take(new TokenBatchSource(Sequence(5000), Options(seed: 7, mode: mode)), 30);
        var c = Take(new TokenBatchSource(Sequence(5000), Options(seed: 8, mode: mode)), 30);

        a.Should().BeEquivalentTo(b, o => o.WithStrictOrdering());
        a.SelectMany(x => x).Should().NotEqual(c.SelectMany(x => x));
    }

    [Fact]
    public void Each_epoch_is_shuffled_differently()
    {
        var sampler = new TokenBatchSource(Sequence(801), Options(batch: 10));
        var epoch0 = Enumerable.Range(0, 10).Select(r => sampler.WindowStart(new BatchPosition(0, 0), r)).ToArray();
        var epoch1 = Enumerable.Range(0, 10).Select(r => sampler.WindowStart(new BatchPosition(1, 0), r)).ToArray();

        epoch0.Should().NotEqual(epoch1);
        epoch0.Should().NotEqual(Enumerable.Range(0, 10).Select(i => (long)i * 8), "the order is shuffled, not sequential");
    }

    [Theory]
    [InlineData(BatchOrder.ShuffledEpochs)]
    [InlineData(BatchOrder.RandomOffsets)]
    public void Rank_shards_are_disjoint_and_concatenate_to_the_single_process_global_batch(BatchOrder mode)
    {
        var tokens = Sequence(3001);
        var single = new TokenBatchSource(tokens, Options(batch: 6, seed: 3, mode: mode));
        var ranks = Enumerable.Range(0, 2).Select(r => new TokenBatchSource(tokens, Options(batch: 3, seed: 3, mode: mode, rank: r, world: 2))).ToArray();
        ranks.Select(r => r.StepsPerEpoch).Should().AllBeEquivalentTo(single.StepsPerEpoch);

        for (var step = 0; step < single.StepsPerEpoch + 3; step++)
        {
            var global = single.NextBatch().Tokens;
            var shards = ranks.Select(r => r.NextBatch().Tokens).ToArray();

            shards.SelectMany(s => s).Should().Equal(global);
            var rowStarts = shards.Select(s => Enumerable.Range(0, 3).Select(row => s[row * 9]).ToHashSet()).ToArray();
            if (mode == BatchOrder.ShuffledEpochs)
            {
                rowStarts[0].Overlaps(rowStarts[1]).Should().BeFalse("ranks see disjoint windows");
            }
        }
    }

    [Theory]
    [InlineData(BatchOrder.ShuffledEpochs)]
    [InlineData(BatchOrder.RandomOffsets)]
    public void Resuming_from_a_saved_position_continues_exactly_where_it_stopped(BatchOrder mode)
    {
        var tokens = Sequence(2001);
        var uninterrupted = new TokenBatchSource(tokens, Options(seed: 11, mode: mode));
        var all = Take(uninterrupted, 150);

        var first = new TokenBatchSource(tokens, Options(seed: 11, mode: mode));
        Take(first, 70);
        var saved = JsonSerializer.Serialize(first.Position);

        var resumed = new TokenBatchSource(tokens, Options(seed: 11, mode: mode));
        resumed.Seek(JsonSerializer.Deserialize<BatchPosition>(saved));
        resumed.Position.Epoch.Should().Be(70 / (int)resumed.StepsPerEpoch);

        Take(resumed, 80).Should().BeEquivalentTo(all.Skip(70), o => o.WithStrictOrdering());
    }

    [Fact]
    public void Bad_settings_and_positions_are_rejected_with_reasons()
    {
        var tooFew = () => new TokenBatchSource(Sequence(20), Options(batch: 4));
        tooFew.Should().Throw<ArgumentException>().Which.Message.Should().Contain("fewer than one global batch");
        var badRank = () => new TokenBatchSource(Sequence(2000), Options(rank: 2, world: 2));
        badRank.Should().Throw<ArgumentOutOfRangeException>();
        var sampler = new TokenBatchSource(Sequence(2000), Options());
        var badStep = () => sampler.Seek(new BatchPosition(0, sampler.StepsPerEpoch));
        badStep.Should().Throw<ArgumentOutOfRangeException>().Which.Message.Should().Contain("step");
        var wrongBuffer = () => sampler.ReadBatch(new BatchPosition(0, 0), new long[5]);
        wrongBuffer.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Batches_read_from_a_memory_mapped_token_file_match_the_in_memory_ones()
    {
        using var temp = new TempDirectory();
        var text = string.Concat(Enumerable.Range(0, 300).Select(i => $" line {i} of the corpus \n"));
        using var file = TokenFileBuilder.GetOrBuild(TextSplit.FromText(SplitNames.Train, text), new ByteTokenizer(), temp.File("t.tokens"));
        var inMemory = new TokenArray(file.ToArray());

        var fromFile = Take(new TokenBatchSource(file, Options(batch: 5, context: 32)), 10);
        var fromArray = Take(new TokenBatchSource(inMemory, Options(batch: 5, context: 32)), 10);

        fromFile.Should().BeEquivalentTo(fromArray, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Tensors_hold_inputs_and_targets_of_shape_batch_by_context()
    {
        var batch = new TokenBatchSource(Sequence(1000), Options()).NextBatch();

        var (input, target) = batch.ToTensors();
        using (input)
        using (target)
        {
            input.shape.Should().Equal(4, 8);
            target.shape.Should().Equal(4, 8);
            input.dtype.Should().Be(TorchSharp.torch.ScalarType.Int64);
            input.data<long>().ToArray().Should().Equal(Enumerable.Range(0, 4).SelectMany(r => batch.Input(r).ToArray()));
            target.data<long>().ToArray().Should().Equal(Enumerable.Range(0, 4).SelectMany(r => batch.Target(r).ToArray()));
        }
    }
}

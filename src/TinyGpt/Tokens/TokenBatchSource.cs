namespace TinyGpt.Tokens;

/// <summary>
/// Draws training batches of <c>T + 1</c>-token windows from a token sequence, deterministically
/// from (seed, epoch, step), sharded for data-parallel training.
/// </summary>
/// <remarks>
/// <para>
/// Each step has a global batch of <c>BatchSize * WorldSize</c> windows; rank <c>r</c> gets global
/// rows <c>[r * BatchSize, (r + 1) * BatchSize)</c>. So concatenating all ranks' batches in rank
/// order gives exactly the batch a single process with <c>BatchSize * WorldSize</c> rows draws with
/// the same seed: two ranks of batch b equal one process of batch 2b.
/// </para>
/// <para>
/// An epoch has <see cref="StepsPerEpoch"/> = <c>WindowCount / globalBatch</c> steps on every rank;
/// in <see cref="BatchOrder.ShuffledEpochs"/> the last <see cref="DroppedWindowsPerEpoch"/>
/// windows of each epoch's shuffled order are not used that epoch (a different set each epoch).
/// <see cref="BatchOrder.RandomOffsets"/> uses the same epoch length so positions read the same.
/// An instance is not thread-safe; give each thread its own.
/// </para>
/// </remarks>
public sealed class TokenBatchSource
{
    private const ulong ShuffleDomain = 0x5348_5546;
    private const ulong OffsetDomain = 0x4F46_4653;
    private readonly ITokenSequence _tokens;
    private int[]? _order;
    private int _orderEpoch = -1;

    /// <summary>Creates a sampler at position (epoch 0, step 0).</summary>
    /// <exception cref="ArgumentException">Bad options, or too few tokens for one global batch.</exception>
    public TokenBatchSource(ITokenSequence tokens, TokenBatchSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ContextLength, "options.ContextLength");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize, "options.BatchSize");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.WorldSize, "options.WorldSize");
        if (options.Rank < 0 || options.Rank >= options.WorldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Rank, $"Rank must be in [0, {options.WorldSize}).");
        }

        _tokens = tokens;
        Options = options;
        GlobalBatchSize = checked(options.BatchSize * options.WorldSize);
        WindowCount = tokens.Count <= 1 ? 0 : (tokens.Count - 1) / options.ContextLength;
        if (WindowCount > Array.MaxLength)
        {
            throw new ArgumentException($"{WindowCount} windows are more than one epoch's order can hold; use a longer context.", nameof(tokens));
        }

        StepsPerEpoch = WindowCount / GlobalBatchSize;
        if (StepsPerEpoch == 0)
        {
            throw new ArgumentException(
                $"The {tokens.Count} tokens make {WindowCount} windows of {options.ContextLength} + 1, fewer than one global batch of " +
                $"{GlobalBatchSize} ({options.BatchSize} per rank x {options.WorldSize} ranks). Use more text, a shorter context or a smaller batch.",
                nameof(tokens));
        }

        DroppedWindowsPerEpoch = WindowCount % GlobalBatchSize;
    }

    /// <summary>The settings.</summary>
    public TokenBatchSourceOptions Options { get; }

    /// <summary>Rows per step over all ranks: <c>BatchSize * WorldSize</c>.</summary>
    public int GlobalBatchSize { get; }

    /// <summary>Non-overlapping windows of T + 1 tokens (neighbours share one token): <c>(Count - 1) / T</c>.</summary>
    public long WindowCount { get; }

    /// <summary>Steps per epoch, the same on every rank: <c>WindowCount / GlobalBatchSize</c>.</summary>
    public long StepsPerEpoch { get; }

    /// <summary>Windows left out of each epoch because they do not fill a global batch.</summary>
    public long DroppedWindowsPerEpoch { get; }

    /// <summary>The position of the next batch <see cref="NextBatch()"/> returns; save it to resume.</summary>
    public BatchPosition Position { get; private set; }

    /// <summary>Moves to <paramref name="position"/>, for example one saved in a checkpoint.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The position is not within an epoch of this sampler.</exception>
    public void Seek(BatchPosition position)
    {
        Check(position);
        Position = position;
    }

    /// <summary>Returns this rank's batch at <see cref="Position"/> and advances it (to the next epoch after the last step).</summary>
    public TokenBatch NextBatch()
    {
        var buffer = new long[(long)Options.BatchSize * (Options.ContextLength + 1)];
        var position = Position;
        NextBatch(buffer);
        return new TokenBatch(buffer, Options.BatchSize, Options.ContextLength, position);
    }

    /// <summary>Fills <paramref name="destination"/> ([BatchSize, T + 1], row-major) with the batch at <see cref="Position"/> and advances.</summary>
    public void NextBatch(Span<long> destination)
    {
        ReadBatch(Position, destination);
        Position = Position.Step + 1 < StepsPerEpoch ? Position with { Step = Position.Step + 1 } : new BatchPosition(Position.Epoch + 1, 0);
    }

    /// <summary>Fills <paramref name="destination"/> with this rank's batch at <paramref name="position"/>, without moving.</summary>
    public void ReadBatch(BatchPosition position, Span<long> destination)
    {
        Check(position);
        var rowLength = Options.ContextLength + 1;
        if (destination.Length != (long)Options.BatchSize * rowLength)
        {
            throw new ArgumentException(
                $"The destination holds {destination.Length} ids; a batch needs {Options.BatchSize} x {rowLength} = {(long)Options.BatchSize * rowLength}.",
                nameof(destination));
        }

        for (var row = 0; row < Options.BatchSize; row++)
        {
            var start = WindowStart(position, (Options.Rank * Options.BatchSize) + row);
            _tokens.CopyTo(start, destination.Slice(row * rowLength, rowLength));
        }
    }

    /// <summary>The first token index of global row <paramref name="globalRow"/> (of all ranks) at <paramref name="position"/>.</summary>
    public long WindowStart(BatchPosition position, int globalRow)
    {
        Check(position);
        ArgumentOutOfRangeException.ThrowIfNegative(globalRow);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(globalRow, GlobalBatchSize);
        if (Options.Order == BatchOrder.RandomOffsets)
        {
            // Any start whose T + 1 tokens fit: [0, Count - T - 1].
            var rng = new CounterRng(Options.Seed, OffsetDomain, (ulong)position.Epoch, (ulong)position.Step, (ulong)globalRow);
            return (long)rng.NextBelow((ulong)(_tokens.Count - Options.ContextLength));
        }

        var window = EpochOrder(position.Epoch)[(position.Step * GlobalBatchSize) + globalRow];
        return (long)window * Options.ContextLength;
    }

    private int[] EpochOrder(int epoch)
    {
        if (_orderEpoch != epoch || _order is null)
        {
            // Fisher-Yates over window indices, seeded by (seed, epoch).
            var order = new int[WindowCount];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            var rng = new CounterRng(Options.Seed, ShuffleDomain, (ulong)epoch);
            for (var i = order.Length - 1; i > 0; i--)
            {
                var j = (int)rng.NextBelow((ulong)i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }

            _order = order;
            _orderEpoch = epoch;
        }

        return _order;
    }

    private void Check(BatchPosition position)
    {
        if (position.Epoch < 0 || position.Step < 0 || position.Step >= StepsPerEpoch)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position,
                $"A position needs epoch >= 0 and step in [0, {StepsPerEpoch}); a position saved with another batch size, world size or data does not fit.");
        }
    }
}

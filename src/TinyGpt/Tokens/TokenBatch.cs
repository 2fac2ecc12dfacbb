namespace TinyGpt.Tokens;

/// <summary>
/// One rank's batch: <see cref="BatchSize"/> rows of <c>T + 1</c> token ids, row-major in
/// <see cref="Tokens"/>. Row <c>b</c>'s input is its first T ids and its target the last T (the
/// input shifted by one).
/// </summary>
public sealed class TokenBatch
{
    /// <summary>Wraps a buffer of shape [<paramref name="batchSize"/>, <paramref name="contextLength"/> + 1].</summary>
    public TokenBatch(long[] tokens, int batchSize, int contextLength, BatchPosition position)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(contextLength);
        if (tokens.Length != (long)batchSize * (contextLength + 1))
        {
            throw new ArgumentException(
                $"The buffer holds {tokens.Length} ids, but a batch of {batchSize} rows of {contextLength + 1} needs {(long)batchSize * (contextLength + 1)}.",
                nameof(tokens));
        }

        Tokens = tokens;
        BatchSize = batchSize;
        ContextLength = contextLength;
        Position = position;
    }

    /// <summary>The ids, shape [BatchSize, ContextLength + 1], row-major.</summary>
    public long[] Tokens { get; }

    /// <summary>Rows in the batch.</summary>
    public int BatchSize { get; }

    /// <summary>The context length T.</summary>
    public int ContextLength { get; }

    /// <summary>The length of a row, T + 1.</summary>
    public int RowLength => ContextLength + 1;

    /// <summary>The sampler position this batch was drawn at (its epoch and step).</summary>
    public BatchPosition Position { get; }

    /// <summary>Row <paramref name="row"/>: T + 1 ids.</summary>
    public ReadOnlySpan<long> Row(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, BatchSize);
        return Tokens.AsSpan(row * RowLength, RowLength);
    }

    /// <summary>The input of row <paramref name="row"/>: its first T ids.</summary>
    public ReadOnlySpan<long> Input(int row) => Row(row)[..ContextLength];

    /// <summary>The target of row <paramref name="row"/>: its last T ids, the input shifted by one.</summary>
    public ReadOnlySpan<long> Target(int row) => Row(row)[1..];
}

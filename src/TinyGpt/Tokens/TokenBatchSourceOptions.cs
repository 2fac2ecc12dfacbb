namespace TinyGpt.Tokens;

/// <summary>Settings of a <see cref="TokenBatchSource"/>.</summary>
public sealed record TokenBatchSourceOptions
{
    /// <summary>The context length T: each row holds T + 1 tokens (input = first T, target = last T).</summary>
    public required int ContextLength { get; init; }

    /// <summary>Rows per batch on this rank. The global batch is <c>BatchSize * WorldSize</c>.</summary>
    public required int BatchSize { get; init; }

    /// <summary>The seed of the window order; the same seed gives the same batches.</summary>
    public ulong Seed { get; init; }

    /// <summary>How windows are chosen.</summary>
    public BatchOrder Order { get; init; } = BatchOrder.ShuffledEpochs;

    /// <summary>This process's rank in data-parallel training, 0-based.</summary>
    public int Rank { get; init; }

    /// <summary>The number of data-parallel ranks.</summary>
    public int WorldSize { get; init; } = 1;
}

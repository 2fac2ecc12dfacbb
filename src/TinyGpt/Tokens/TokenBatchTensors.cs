using TorchSharp;

namespace TinyGpt.Tokens;

/// <summary>Turns a <see cref="TokenBatch"/> into the int64 tensors a language model trains on.</summary>
public static class TokenBatchTensors
{
    /// <summary>
    /// Returns <c>(input, target)</c>, each of shape [BatchSize, T] and dtype int64, on
    /// <paramref name="device"/> (the CPU when null). The caller owns both tensors.
    /// </summary>
    public static (torch.Tensor Input, torch.Tensor Target) ToTensors(this TokenBatch batch, torch.Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = torch.NewDisposeScope();
        var all = torch.tensor(batch.Tokens, [batch.BatchSize, batch.RowLength], torch.int64);
        var input = all[.., ..batch.ContextLength].contiguous();
        var target = all[.., 1..].contiguous();
        if (device is not null)
        {
            input = input.to(device);
            target = target.to(device);
        }

        return (input.MoveToOuterDisposeScope(), target.MoveToOuterDisposeScope());
    }
}

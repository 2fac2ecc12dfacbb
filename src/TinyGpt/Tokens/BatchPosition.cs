namespace TinyGpt.Tokens;

/// <summary>
/// Where a <see cref="TokenBatchSource"/> is: the epoch and the step (global batch) within it. It
/// is all a checkpoint needs to resume, in both sampling modes, because the random draws are pure
/// functions of (seed, epoch, step). Serializes with System.Text.Json as <c>{"Epoch":..,"Step":..}</c>.
/// </summary>
/// <param name="Epoch">The epoch, from 0.</param>
/// <param name="Step">The index of the next batch within the epoch, from 0 to <see cref="TokenBatchSource.StepsPerEpoch"/> - 1.</param>
public readonly record struct BatchPosition(int Epoch, long Step);

using TinyGpt.Modeling;
using TorchSharp;

namespace TinyGpt.Training;

/// <summary>
/// Where a <see cref="Trainer"/> keeps its checkpoints. A checkpoint holds everything needed to
/// continue exactly: the weights, the optimizer's state, the random generator's state and the
/// <see cref="TrainerState"/>. <c>TinyGpt.Checkpoints.CheckpointStore</c> keeps them as files.
/// </summary>
public interface ITrainingCheckpoints
{
    /// <summary>Writes a checkpoint of <paramref name="model"/> and <paramref name="optimizerState"/> at <paramref name="state"/>, completely or not at all.</summary>
    /// <returns>Where it was written, for messages.</returns>
    string Save(TrainerState state, GptModel model, IReadOnlyList<KeyValuePair<string, torch.Tensor>> optimizerState, string tokenizerFingerprint);

    /// <summary>
    /// Loads the newest checkpoint that is complete into <paramref name="model"/>,
    /// <paramref name="optimizerState"/> and the random generator; null when there is none.
    /// </summary>
    /// <remarks>
    /// A checkpoint of another model or tokenizer is refused with an exception that says so. State
    /// tensors the checkpoint does not hold are left as they are and named in
    /// <see cref="RestoredCheckpoint.MissingState"/>.
    /// </remarks>
    RestoredCheckpoint? RestoreLatest(GptModel model, IReadOnlyList<KeyValuePair<string, torch.Tensor>> optimizerState, string tokenizerFingerprint);

    /// <summary>Loads the checkpoint at <paramref name="path"/>, as <see cref="RestoreLatest"/> does.</summary>
    /// <exception cref="InvalidDataException">The file is not a complete checkpoint.</exception>
    RestoredCheckpoint Restore(string path, GptModel model, IReadOnlyList<KeyValuePair<string, torch.Tensor>> optimizerState, string tokenizerFingerprint);
}

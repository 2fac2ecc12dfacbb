namespace TinyGpt.Runs;

/// <summary>How <see cref="RunFolder.CreateTrainer"/> treats what an earlier training left in the folder.</summary>
public enum TrainingStart
{
    /// <summary>Train from the start; refuse when the folder already holds checkpoints or a trained model, so that none is lost by mistake.</summary>
    New,

    /// <summary>Continue from the newest complete checkpoint, or train from the start when there is none.</summary>
    Resume,

    /// <summary>Delete the earlier training's checkpoints, model, metrics and loss curve, then train from the start.</summary>
    Restart,
}

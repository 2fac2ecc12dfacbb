#region docs/distributed.md#distributed-trainer
using TinyGpt.Checkpoints;
using TinyGpt.Distributed;
using TinyGpt.Modeling;
#endregion

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>
/// docs/distributed.md, "Data-parallel training": compiled, not run. It means something only under
/// mpirun, and AbortOnFailure ends the whole process on a failure, which would take the test host
/// down instead of failing a test (tests/TinyGpt.Distributed.Tests run the same code under MPI).
/// </summary>
public static class DistributedTrainerSnippet
{
    internal static int RankMain(GptConfig config, TinyGpt.Training.TrainingData data, TinyGpt.Training.TrainingOptions options, Microsoft.Extensions.Logging.ILogger logger)
    {
        #region docs/distributed.md#distributed-trainer
        using var collective = Collectives.Create();           // MPI when launched by mpirun/srun, else one process
        return AbortOnFailure.Run(collective, () =>
        {
            using var model = new GptModel(config, seed: 1);   // any seed: rank 0's weights are broadcast
            using var trainer = new DistributedTrainer(model, data, options, new RunDirectory("runs/wikitext"), logger, collective);
            trainer.ResumeFromLatest();                        // every rank loads the same checkpoint
            trainer.Train();
            return 0;
        });
        #endregion
    }
}

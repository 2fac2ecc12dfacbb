#region docs/distributed.md#distributed-trainer
using TinyGpt.Distributed;
using TinyGpt.Modeling;
using TinyGpt.Runs;
#endregion

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>
/// docs/distributed.md, "Data-parallel training": compiled, not run. It means something only under
/// mpirun, where a failure ends the whole process, which would take the test host down instead of
/// failing a test (tests/TinyGpt.Distributed.Tests run the same code under MPI).
/// </summary>
public static class DistributedTrainerSnippet
{
    internal static void RankMain(GptConfig config, TinyGpt.Training.TrainingOptions options, Microsoft.Extensions.Logging.ILogger logger)
    {
        #region docs/distributed.md#distributed-trainer
        using var distributed = new DistributedTrainer();   // joins the job mpirun/srun started, else one process
        using var run = RunFolder.Open("runs/wikitext");     // prepared once, on a file system every rank reads
        using var model = new GptModel(config, seed: 1);     // any seed: rank 0's weights are broadcast
        var trainer = distributed.CreateTrainer(run, model, options, TrainingStart.Resume, logger); // all ranks resume the same checkpoint
        trainer.Train();                                     // a failure on any rank ends the whole job
        #endregion
    }
}

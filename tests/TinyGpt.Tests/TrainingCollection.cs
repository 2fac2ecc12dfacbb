namespace TinyGpt.Tests;

/// <summary>
/// Tests that train models. Training seeds TorchSharp's process-wide random generator (dropout), so
/// two trainings running at once would disturb each other's exact-resume checks: these tests run
/// one at a time, and not alongside any other test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingCollection
{
    public const string Name = "Training";
}

namespace TinyGpt.Distributed.Tests.Infrastructure;

/// <summary>Tests that start mpirun run one at a time: several jobs at once would fight over the cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MpirunCollection
{
    public const string Name = "mpirun";
}

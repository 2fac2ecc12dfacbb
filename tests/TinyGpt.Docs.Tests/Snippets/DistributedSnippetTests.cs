using TinyGpt.Distributed;
using TinyGpt.Training;

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>docs/distributed.md: the launcher-independent entry point, run as a plain process.</summary>
public sealed class DistributedSnippetTests
{
    private ICollective? _seen;

    [Fact]
    public void Outside_mpirun_the_entry_point_runs_the_work_once_as_the_only_rank()
    {
        var exitCode = Main();

        exitCode.Should().Be(1, "Train returns the number of ranks");
        _seen.Should().BeSameAs(SingleProcessCollective.Instance);
    }

    private int Main()
    {
        #region docs/distributed.md#collectives
        using var collective = Collectives.Create();          // SingleProcessCollective or MpiCollective
        return AbortOnFailure.Run(collective, () => Train(collective));
        #endregion
    }

    private int Train(ICollective collective)
    {
        _seen = collective;
        return collective.WorldSize;
    }
}

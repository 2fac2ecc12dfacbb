using TinyGpt.Distributed.Tests.Training;

namespace TinyGpt.Distributed.Tests.Infrastructure;

/// <summary>A run folder prepared from a small repeated corpus, as <c>tinygpt prepare --text</c> makes it, for the mpirun CLI tests.</summary>
internal static class PreparedCliRun
{
    public static string In(TemporaryFolder folder, TimeSpan timeout)
    {
        var corpus = folder.Sub("corpus.txt");
        File.WriteAllText(corpus, string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog .\n", 400)));
        var run = folder.Sub("run");
        var prepare = MpiRun.Cli(1, timeout, "prepare", "--run", run, "--text", corpus, "--vocab-size", "300");
        prepare.ExitCode.Should().Be(0, prepare.ToString());
        return run;
    }
}

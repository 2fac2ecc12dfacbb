using TinyGpt.Torch;

namespace TinyGpt.Cli.Tests;

/// <summary>tinygpt restarts itself with glibc's heap set to keep freed memory (NativeHeap), unless told not to.</summary>
public sealed class NativeHeapTests
{
    private const string Reuses = "native heap: reuses freed memory";
    private const string Defaults = "native heap: the C library's defaults";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public void Tinygpt_runs_with_the_heap_that_reuses_freed_memory()
    {
        var (code, output, error) = CliRunner.RunWith(new Dictionary<string, string> { ["GLIBC_TUNABLES"] = "" }, Timeout, "info");
        code.Should().Be(0, error);
        output.Should().Contain(OperatingSystem.IsLinux() ? Reuses : Defaults);
    }

    [Fact]
    public void Other_glibc_tunables_are_kept_beside_the_heap_settings()
    {
        var (code, output, error) = CliRunner.RunWith(new Dictionary<string, string> { ["GLIBC_TUNABLES"] = "glibc.pthread.mutex_spin_count=100" }, Timeout, "info");
        code.Should().Be(0, error);
        output.Should().Contain(OperatingSystem.IsLinux() ? Reuses : Defaults);
    }

    [Theory]
    [InlineData(NativeHeap.OptOutVariable, "default")]
    [InlineData("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")]
    public void The_users_own_heap_choice_stands(string variable, string value)
    {
        var (code, output, error) = CliRunner.RunWith(new Dictionary<string, string> { [variable] = value }, Timeout, "info");
        code.Should().Be(0, error);
        output.Should().Contain(Defaults);
    }
}

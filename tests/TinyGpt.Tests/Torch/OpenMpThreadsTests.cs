using TinyGpt.Torch;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Torch;

public class OpenMpThreadsTests
{
    [Fact]
    public void It_finds_the_OpenMP_runtime_libtorch_loaded_and_sets_only_the_calling_threads_count()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var before = get_num_threads();
        int onThread = 0;
        bool found = false;
        var thread = new Thread(() =>
        {
            _ = get_num_threads();
            found = OpenMpThreads.TrySet(1);
            onThread = get_num_threads();
        });
        thread.Start();
        thread.Join();

        found.Should().BeTrue("libtorch's CPU build loads libgomp, listed in /proc/self/maps");
        onThread.Should().Be(1);
        get_num_threads().Should().Be(before, "other threads keep their count");
    }
}

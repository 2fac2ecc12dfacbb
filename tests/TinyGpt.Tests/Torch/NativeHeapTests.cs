using TinyGpt.Torch;

namespace TinyGpt.Tests.Torch;

// In the collection that runs alone: the tests change this process's environment.
[Collection(TrainingCollection.Name)]
public sealed class NativeHeapTests
{
    [Fact]
    public void A_process_that_started_with_the_settings_is_not_restarted()
    {
        WithEnvironment(("GLIBC_TUNABLES", "glibc.pthread.mutex_spin_count=100:" + NativeHeap.GlibcTunables), () =>
        {
            NativeHeap.ReusesFreedMemory.Should().BeTrue();
            NativeHeap.RestartToReuseFreedMemory().Should().BeTrue();
        });
    }

    [Fact]
    public void Heap_settings_of_the_users_own_are_left_alone()
    {
        WithEnvironment(("GLIBC_TUNABLES", "glibc.malloc.arena_max=4"), () =>
        {
            NativeHeap.ReusesFreedMemory.Should().BeFalse();
            NativeHeap.RestartToReuseFreedMemory().Should().BeFalse();
        });
    }

    [Fact]
    public void The_opt_out_keeps_the_defaults()
    {
        WithEnvironment((NativeHeap.OptOutVariable, "default"), () => NativeHeap.RestartToReuseFreedMemory().Should().BeFalse());
    }

    [Fact]
    public void The_settings_are_glibc_tunables_that_keep_every_freed_block()
    {
        var settings = NativeHeap.GlibcTunables.Split(':').Select(s => s.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        settings.Should().ContainKeys("glibc.malloc.mmap_threshold", "glibc.malloc.trim_threshold", "glibc.malloc.arena_max");
        settings["glibc.malloc.mmap_threshold"].Should().BeGreaterThan(1L << 30, "blocks up to 1 GB (a seed-preset batch's logits) come from the heap");
        settings["glibc.malloc.arena_max"].Should().Be(1, "only the main arena can hold blocks over 64 MB");
    }

    private static void WithEnvironment((string Name, string Value) variable, Action test)
    {
        var saved = Environment.GetEnvironmentVariable(variable.Name);
        try
        {
            Environment.SetEnvironmentVariable(variable.Name, variable.Value);
            test();
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable.Name, saved);
        }
    }
}

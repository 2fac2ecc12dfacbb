using System.Text;

namespace TinyGpt.Tests.Build;

public class NativeLoadFixTests
{
    [Fact]
    public void Only_the_output_copy_of_LibTorchSharp_is_patched_and_only_its_version_flag_changes()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the fix is Linux-only by design
        }

        var output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var cached = Directory.GetFiles(Path.Combine(packages, "torchsharp"), "libLibTorchSharp.so", SearchOption.AllDirectories)
            .Single(p => p.Contains("linux-x64", StringComparison.Ordinal));
        File.Exists(output).Should().BeTrue();

        var patched = File.ReadAllBytes(output);
        var original = File.ReadAllBytes(cached);
        patched.Length.Should().Be(original.Length);
        var differences = Enumerable.Range(0, patched.Length).Where(i => patched[i] != original[i]).ToList();
        if (SystemLibStdCxxHas("GLIBCXX_3.4.32"))
        {
            differences.Should().BeEmpty("the fix is a no-op where the system libstdc++ is new enough");
            return;
        }

        differences.Should().ContainSingle("only the vna_flags of the GLIBCXX_3.4.32 requirement changes");
        var at = differences[0];
        (original[at] & 0x2).Should().Be(0, "the NuGet cache copy is never modified");
        patched[at].Should().Be((byte)(original[at] | 0x2), "VER_FLG_WEAK is set");
    }

    private static bool SystemLibStdCxxHas(string version)
    {
        foreach (var candidate in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" })
        {
            if (File.Exists(candidate))
            {
                var bytes = File.ReadAllBytes(candidate);
                return bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(version + "\0")) >= 0;
            }
        }

        return false;
    }
}

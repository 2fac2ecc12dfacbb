using System.Security.Cryptography;

namespace TinyGpt.Cli.Tests;

/// <summary>A run folder prepared from a few hundred lines of generated text, so that commands on it take seconds.</summary>
internal sealed class SmallRun : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public SmallRun()
    {
        Folder = Path.Combine(Path.GetTempPath(), "tinygpt-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        TextFile = Path.Combine(Folder, "corpus.txt");
        var words = new[] { "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "and", "a", "cat", "sat", "on", "mat" };
        var random = new Random(7);
        File.WriteAllLines(TextFile, Enumerable.Range(0, 400).Select(_ => string.Join(' ', Enumerable.Range(0, 12).Select(_ => words[random.Next(words.Length)])) + " ."));
        Run = Path.Combine(Folder, "run");
        Expect(CliRunner.Run(Timeout, "prepare", "--run", Run, "--text", TextFile, "--vocab-size", "300"));
    }

    public string Folder { get; }

    public string Run { get; }

    public string TextFile { get; }

    /// <summary>The arguments of a quick training on the run (tiny model, context 32); an option in <paramref name="more"/> replaces its default.</summary>
    public string[] Train(params string[] more)
    {
        string[] defaults = ["--context", "32", "--batch-size", "4", "--eval-interval", "4", "--log-interval", "1", "--threads", "2"];
        var kept = defaults.Chunk(2).Where(pair => !more.Contains(pair[0])).SelectMany(pair => pair);
        return ["train", "--run", Run, .. kept, .. more];
    }

    public static (int ExitCode, string Output, string Error) Expect((int ExitCode, string Output, string Error) result)
    {
        result.ExitCode.Should().Be(0, $"the command should succeed; stderr:\n{result.Error}\nstdout:\n{result.Output}");
        return result;
    }

    /// <summary>Every file under the run folder with its length and SHA-256.</summary>
    public IReadOnlyDictionary<string, string> Snapshot() =>
        Directory.EnumerateFiles(Run, "*", SearchOption.AllDirectories).ToDictionary(
            path => Path.GetRelativePath(Run, path),
            path => $"{new FileInfo(path).Length}:{Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))}");

    public void Dispose()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}

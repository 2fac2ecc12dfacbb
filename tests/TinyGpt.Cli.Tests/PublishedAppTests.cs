using System.Diagnostics;

namespace TinyGpt.Cli.Tests;

public sealed class PublishedAppTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), "tinygpt-publish-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    [Fact]
    public void A_published_app_loads_torchsharp_and_computes()
    {
        var project = Path.GetFullPath(Path.Combine(CliRunner.CliDirectory, "..", "..", "..", "TinyGpt.Cli.csproj"));
        Run("dotnet", "publish", project, "-c", "Release", "-o", _output, "--nologo", "-v", "q").Should().Be(0);

        var app = Path.Combine(_output, OperatingSystem.IsWindows() ? "tinygpt.exe" : "tinygpt");
        File.Exists(app).Should().BeTrue("the publish output holds the tinygpt command");
        Run(app, "info").Should().Be(0, "TorchSharp must load its native library from the publish folder and compute a correct matmul");
    }

    private static int Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} timed out.");
        }

        Console.WriteLine(output.Result);
        Console.Error.WriteLine(error.Result);
        return process.ExitCode;
    }
}

using System.Diagnostics;

namespace TinyGpt.Cli.Tests;

/// <summary>Runs a command that must succeed; a failure or timeout carries the command's whole output.</summary>
internal static class CheckedProcess
{
    /// <summary>Runs <paramref name="file"/> in <paramref name="directory"/>, asserts exit code 0 and returns its standard output.</summary>
    public static string Run(string directory, TimeSpan timeout, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var command = $"{file} {string.Join(' ', args)}";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{command}' did not finish within {timeout} in {directory}.");
        }

        process.ExitCode.Should().Be(0, $"'{command}' should succeed:\n{output.Result}\n{error.Result}");
        return output.Result;
    }
}

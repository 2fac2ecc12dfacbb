using System.Diagnostics;
using TinyGpt.Testing;

namespace TinyGpt.Cli.Tests;

/// <summary>Starts the built tinygpt as a <see cref="WatchedProcess"/>, to wait for its lines and send it real signals.</summary>
internal static class CliProcess
{
    /// <summary>Starts <c>tinygpt</c> with <paramref name="args"/>.</summary>
    public static WatchedProcess Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add(Path.Combine(CliRunner.CliDirectory, "TinyGpt.Cli.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new WatchedProcess(start);
    }
}

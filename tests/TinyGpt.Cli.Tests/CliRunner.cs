using System.Diagnostics;
using System.Text;

namespace TinyGpt.Cli.Tests;

/// <summary>Runs the built tinygpt command as a child process.</summary>
internal static class CliRunner
{
    public static string CliDirectory
    {
        get
        {
            // tests/TinyGpt.Cli.Tests/bin/<Configuration>/net10.0 -> samples/TinyGpt.Cli/bin/<Configuration>/net10.0
            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = here.Parent!.Name;
            var repo = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            var dir = Path.Combine(repo, "samples", "TinyGpt.Cli", "bin", configuration, here.Name);
            return File.Exists(Path.Combine(dir, "TinyGpt.Cli.dll"))
                ? dir
                : throw new FileNotFoundException($"The tinygpt CLI was not built at '{dir}'. Build the solution first.");
        }
    }

    public static (int ExitCode, string Output, string Error) Run(TimeSpan timeout, params string[] args) => Run(timeout, unprivileged: false, args);

    /// <summary>As <see cref="Run(TimeSpan, string[])"/>, with <paramref name="environment"/> added to the child's environment.</summary>
    public static (int ExitCode, string Output, string Error) RunWith(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args) => Run(timeout, unprivileged: false, args, environment);

    /// <summary>As <see cref="Run(TimeSpan, string[])"/>, as the unprivileged user <c>nobody</c> when the tests run as root (so that file permissions apply).</summary>
    public static (int ExitCode, string Output, string Error) RunUnprivileged(TimeSpan timeout, params string[] args) => Run(timeout, unprivileged: Environment.UserName == "root", args);

    private static (int ExitCode, string Output, string Error) Run(TimeSpan timeout, bool unprivileged, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(unprivileged ? "setpriv" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (unprivileged)
        {
            foreach (var arg in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "dotnet" })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["HOME"] = Path.GetTempPath();
            start.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        }

        start.ArgumentList.Add(Path.Combine(CliDirectory, "TinyGpt.Cli.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => output.AppendLine(e.Data);
        process.ErrorDataReceived += (_, e) => error.AppendLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"tinygpt {string.Join(' ', args)} did not finish within {timeout}. Output so far:\n{output}\n{error}");
        }

        process.WaitForExit();
        return (process.ExitCode, output.ToString(), error.ToString());
    }
}

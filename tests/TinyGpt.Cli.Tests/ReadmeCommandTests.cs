using System.Text.RegularExpressions;

namespace TinyGpt.Cli.Tests;

/// <summary>
/// The README's summary of the <c>tinygpt</c> command lists every command and, for each, exactly the
/// options its <c>--help</c> shows, so the summary cannot fall behind the CLI.
/// </summary>
public sealed partial class ReadmeCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public void The_readme_lists_every_command_with_exactly_the_options_it_accepts()
    {
        var documented = DocumentedCommands();
        var (_, rootHelp, _) = CliRunner.Run(Timeout, "--help");
        var commands = CommandNames(rootHelp);
        commands.Should().Contain(["prepare", "train", "eval", "generate", "ddp-check", "run"], "the root help lists the commands");
        documented.Keys.Should().BeEquivalentTo(commands, "README.md's 'The `tinygpt` command' block lists every command the CLI has");

        foreach (var command in commands)
        {
            var (exitCode, help, error) = CliRunner.Run(Timeout, command, "--help");
            exitCode.Should().Be(0, error);
            documented[command].Should().BeEquivalentTo(OptionNames(help), $"README.md lists the options of 'tinygpt {command}' as its --help does");
        }
    }

    /// <summary>Command name to the options its README lines mention; <c>tinygpt [run]</c> is the run command.</summary>
    private static Dictionary<string, HashSet<string>> DocumentedCommands()
    {
        var repo = Path.GetFullPath(Path.Combine(CliRunner.CliDirectory, "..", "..", "..", "..", ".."));
        var lines = File.ReadAllText(Path.Combine(repo, "README.md")).ReplaceLineEndings("\n").Split('\n');
        var heading = Array.IndexOf(lines, "## The `tinygpt` command");
        heading.Should().BeGreaterThanOrEqualTo(0, "README.md has a 'The `tinygpt` command' section");
        var open = Array.FindIndex(lines, heading, l => l.StartsWith("```", StringComparison.Ordinal));
        var close = Array.FindIndex(lines, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));

        var commands = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        HashSet<string>? current = null;
        foreach (var raw in lines[(open + 1)..close])
        {
            var line = raw.Split('#')[0];
            var start = CommandLine().Match(line);
            if (start.Success)
            {
                current = [];
                commands.Add(start.Groups[1].Value == "[run]" ? "run" : start.Groups[1].Value, current);
            }

            current.Should().NotBeNull($"'{raw}' continues a command line");
            foreach (Match option in Option().Matches(line))
            {
                current!.Add(option.Value);
            }
        }

        return commands;
    }

    private static List<string> CommandNames(string rootHelp) =>
        [.. rootHelp.ReplaceLineEndings("\n").Split('\n')
            .SkipWhile(l => !l.StartsWith("Commands:", StringComparison.Ordinal)).Skip(1)
            .Select(l => HelpCommand().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value)];

    private static HashSet<string> OptionNames(string help) =>
        [.. help.ReplaceLineEndings("\n").Split('\n')
            .SkipWhile(l => !l.StartsWith("Options:", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.Length > 0 && char.IsWhiteSpace(l[0]))
            .Select(l => HelpOption().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value)
            .Where(o => o is not "--help" and not "--version")];

    [GeneratedRegex(@"^tinygpt\s+(\[run\]|[a-z][a-z-]*)")]
    private static partial Regex CommandLine();

    [GeneratedRegex(@"--[a-z][a-z-]*")]
    private static partial Regex Option();

    [GeneratedRegex(@"^  ([a-z][a-z-]*)\s{2,}")]
    private static partial Regex HelpCommand();

    [GeneratedRegex(@"^  (?:-\S+, )*(--[a-z][a-z-]*)")]
    private static partial Regex HelpOption();
}

using System.Diagnostics;
using System.Globalization;

namespace TinyGpt.Distributed.Tests.Infrastructure;

/// <summary>
/// Two "hosts" on this machine: network namespaces joined by a veth pair (10.77.0.1/24 and
/// 10.77.0.2/24), with a host file naming them by address and an Open MPI rsh agent that runs
/// the remote daemon with <c>ip netns exec</c> in place of ssh. Dispose deletes the namespaces
/// (which deletes the veth pair with them).
/// </summary>
internal sealed class TwoHostNetwork : IDisposable
{
    public const string FirstAddress = "10.77.0.1";
    public const string SecondAddress = "10.77.0.2";
    public const string Subnet = "10.77.0.0/24";

    private readonly string _folder;
    private readonly List<string> _namespaces = [];

    private TwoHostNetwork(string tag)
    {
        // Unique per test run, and short: interface names are limited to 15 characters.
        FirstNamespace = $"tinygpt-{tag}-a";
        SecondNamespace = $"tinygpt-{tag}-b";
        _folder = Directory.CreateTempSubdirectory("tinygpt-netns-").FullName;
        HostFile = Path.Combine(_folder, "hosts");
        Agent = Path.Combine(_folder, "netns-agent.sh");
        AgentLog = Path.Combine(_folder, "agent.log");
    }

    /// <summary>The namespace of the first host, where mpirun itself runs.</summary>
    public string FirstNamespace { get; }

    /// <summary>The namespace of the second host, reached only through the agent.</summary>
    public string SecondNamespace { get; }

    /// <summary>The Open MPI host file: one slot on each address.</summary>
    public string HostFile { get; }

    /// <summary>The <c>plm_rsh_agent</c> script.</summary>
    public string Agent { get; }

    /// <summary>One line per daemon the agent started: the host and the namespace it ran in.</summary>
    public string AgentLog { get; }

    /// <summary>Starts mpirun inside the first namespace.</summary>
    public IReadOnlyList<string> LaunchPrefix => ["ip", "netns", "exec", FirstNamespace];

    /// <summary>mpirun options for TCP between the two hosts only.</summary>
    public IReadOnlyList<string> MpirunOptions =>
    [
        "--hostfile", HostFile, "--map-by", "node", "--bind-to", "none",
        "--mca", "plm_rsh_agent", Agent,
        "--mca", "btl", "tcp,self",
        "--mca", "btl_tcp_if_include", Subnet,
        "--mca", "oob_tcp_if_include", Subnet,
    ];

    /// <summary>Creates the two hosts, or returns null with the reason (no root, no CAP_NET_ADMIN, no iproute2).</summary>
    public static TwoHostNetwork? TryCreate(out string? reason)
    {
        var tag = (Environment.ProcessId % 100000).ToString(CultureInfo.InvariantCulture) + Random.Shared.Next(100, 1000).ToString(CultureInfo.InvariantCulture);
        var network = new TwoHostNetwork(tag);
        try
        {
            reason = network.Setup(tag);
            if (reason is null)
            {
                return network;
            }
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            reason = $"'ip' (iproute2) could not be started: {ex.Message}";
        }

        network.Dispose();
        return null;
    }

    private string? Setup(string tag)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces exist only on Linux";
        }

        if (Run("ip", "netns", "add", FirstNamespace) is { } failure)
        {
            return failure;
        }

        _namespaces.Add(FirstNamespace);
        if (Run("ip", "netns", "add", SecondNamespace) is { } failure2)
        {
            return failure2;
        }

        _namespaces.Add(SecondNamespace);
        var (a, b) = ($"tgv{tag}a", $"tgv{tag}b");
        string[][] commands =
        [
            ["ip", "link", "add", a, "type", "veth", "peer", "name", b],
            ["ip", "link", "set", a, "netns", FirstNamespace],
            ["ip", "link", "set", b, "netns", SecondNamespace],
            ["ip", "-n", FirstNamespace, "addr", "add", FirstAddress + "/24", "dev", a],
            ["ip", "-n", SecondNamespace, "addr", "add", SecondAddress + "/24", "dev", b],
            ["ip", "-n", FirstNamespace, "link", "set", a, "up"],
            ["ip", "-n", SecondNamespace, "link", "set", b, "up"],
            ["ip", "-n", FirstNamespace, "link", "set", "lo", "up"],
            ["ip", "-n", SecondNamespace, "link", "set", "lo", "up"],
        ];
        foreach (var command in commands)
        {
            if (Run(command) is { } failure3)
            {
                return failure3;
            }
        }

        File.WriteAllText(HostFile, $"{FirstAddress} slots=1\n{SecondAddress} slots=1\n");
        // Open MPI calls the agent as: agent [-options] host command...
        File.WriteAllText(Agent, $$"""
            #!/bin/sh
            while [ "${1#-}" != "$1" ]; do shift; done
            host=$1; shift
            case "$host" in
              {{FirstAddress}}) ns={{FirstNamespace}} ;;
              {{SecondAddress}}) ns={{SecondNamespace}} ;;
              *) echo "netns-agent: unknown host $host" >&2; exit 1 ;;
            esac
            echo "$host $ns" >> '{{AgentLog}}'
            exec ip netns exec "$ns" /bin/sh -c "$*"

            """);
        File.SetUnixFileMode(Agent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return null;
    }

    public void Dispose()
    {
        foreach (var name in _namespaces)
        {
            Run("ip", "netns", "delete", name);
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private static string? Run(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? null : $"'{string.Join(' ', command)}' failed with exit code {process.ExitCode}: {error.Trim()}";
    }
}

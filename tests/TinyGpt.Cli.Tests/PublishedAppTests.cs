namespace TinyGpt.Cli.Tests;

[Collection(RepositoryBuildCollection.Name)]
public sealed class PublishedAppTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
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
        // --no-build publishes what the solution build produced (the test's own configuration) without
        // rebuilding it under other test assemblies that are running from it.
        var configuration = new DirectoryInfo(CliRunner.CliDirectory).Parent!.Name;
        CheckedProcess.Run(Path.GetDirectoryName(project)!, Timeout, "dotnet", "publish", project, "-c", configuration, "--no-build", "-o", _output, "--nologo", "-v", "q");

        var app = Path.Combine(_output, OperatingSystem.IsWindows() ? "tinygpt.exe" : "tinygpt");
        File.Exists(app).Should().BeTrue("the publish output holds the tinygpt command");
        // TorchSharp must load its native library from the publish folder and compute a correct matmul.
        CheckedProcess.Run(_output, Timeout, app, "info");
    }
}

using TinyGpt.Docs.Tests;

namespace TinyGpt.Cli.Tests;

/// <summary>
/// Proves that <c>dotnet add package TinyGpt</c> works: packs the libraries, creates a fresh
/// console app outside the repository that references them from a local folder feed plus a CPU
/// backend, and runs a tiny train + generate in it (TorchSharp loading through the package's
/// buildTransitive fix, not the repository's). The app's program is the README's "From code" block.
/// </summary>
[Collection(RepositoryBuildCollection.Name)]
public sealed class PackageConsumerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(8);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "tinygpt-consumer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void A_fresh_app_that_adds_the_packed_packages_trains_and_generates()
    {
        var repo = Path.GetFullPath(Path.Combine(CliRunner.CliDirectory, "..", "..", "..", "..", ".."));
        var feed = Path.Combine(_root, "feed");
        var app = Path.Combine(_root, "app");
        Directory.CreateDirectory(app);
        // A version nobody else uses, so the NuGet cache cannot hand back an older package.
        var version = $"0.0.0-test{DateTime.UtcNow:yyyyMMddHHmmss}{Environment.ProcessId}";
        // --no-build packs what the solution build produced, without rebuilding it under the test
        // assemblies that run from it in parallel.
        var configuration = new DirectoryInfo(CliRunner.CliDirectory).Parent!.Name;
        foreach (var project in new[] { "src/TinyGpt/TinyGpt.csproj", "src/TinyGpt.Distributed/TinyGpt.Distributed.csproj" })
        {
            CheckedProcess.Run(repo, Timeout, "dotnet", "pack", Path.Combine(repo, project), "-c", configuration, "--no-build", "-o", feed, $"-p:PackageVersion={version}", "--nologo", "-v", "q");
        }

        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="TinyGpt" Version="{version}" />
                <PackageReference Include="TinyGpt.Distributed" Version="{version}" />
                <PackageReference Include="libtorch-cpu-linux-x64" Version="2.10.0" Condition="$([MSBuild]::IsOSPlatform('Linux'))" />
                <PackageReference Include="libtorch-cpu-win-x64" Version="2.10.0" Condition="$([MSBuild]::IsOSPlatform('Windows'))" />
                <PackageReference Include="libtorch-cpu-osx-arm64" Version="2.10.0" Condition="$([MSBuild]::IsOSPlatform('OSX'))" />
              </ItemGroup>
            </Project>
            """);
        // The program is the README's "From code" block as it stands, plus lines that report and check its result.
        var readme = File.ReadAllText(Path.Combine(repo, "README.md"));
        File.WriteAllText(Path.Combine(app, "Program.cs"), FromCodeBlock(readme) + "\n" + """
            Console.WriteLine($"loss={result.FinalLoss:F3}");
            Console.WriteLine($"completion={completion}");
            return result.FinalLoss < 2.0 && completion.Contains("fox", StringComparison.Ordinal) ? 0 : 1;
            """);

        var output = CheckedProcess.Run(app, Timeout, "dotnet", "run", "-c", "Release", "--nologo");
        output.Should().Contain("completion=").And.Contain("fox");
    }

    private static string FromCodeBlock(string readme)
    {
        var heading = readme.ReplaceLineEndings("\n").Split('\n').ToList().IndexOf("## From code") + 1;
        heading.Should().BePositive("README.md has a 'From code' section");
        var block = MarkdownCodeBlocks.Parse("README.md", readme).FirstOrDefault(b => b.IsCSharp && b.Line > heading);
        block.Should().NotBeNull("the 'From code' section has a C# block");
        return block!.Text;
    }
}

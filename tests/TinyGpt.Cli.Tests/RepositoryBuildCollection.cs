namespace TinyGpt.Cli.Tests;

/// <summary>
/// Tests that run <c>dotnet pack</c> or <c>dotnet publish</c> on the repository's own projects. They share
/// the projects' <c>obj</c> folders, so two MSBuild processes at once can collide on the same files; this
/// collection runs them one after another. They also pass <c>--no-build</c>, so they never rewrite the
/// build output that other test assemblies have loaded while running in parallel.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RepositoryBuildCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Runs MSBuild on the repository's projects";
}

namespace TinyGpt.Docs.Tests;

/// <summary>Test classes that use the trained <c>runs/demo</c> of <see cref="DemoRunFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class DemoRunCollection : ICollectionFixture<DemoRunFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "docs runs/demo";
}

namespace TinyGpt.Docs.Tests;

public class SnippetSourceFileTests
{
    // "%" stands for "#", so that the scan of this project for doc regions does not find these.
    private static readonly string Source = """
        %region docs/a.md#usings
        using Foo.Bar;
        %endregion
        using Other;

        namespace N;

        public class C
        {
            public void M()
            {
                %region docs/a.md#usings
                using var x = Make();
                x.Run();
                %endregion

                %region ordinary region
                var y = 2;
                %endregion

                %region docs/b.md#fragment
                    if (y > 1)
                    {
                        Go();
                    }
                %endregion
            }
        }
        """.Replace('%', '#');

    [Fact]
    public void Regions_with_the_same_doc_name_are_joined_and_other_regions_ignored()
    {
        var file = SnippetSourceFile.Parse("S.cs", Source);

        file.Regions.Should().HaveCount(2);
        var usings = file.Regions[0];
        usings.Name.Should().Be("docs/a.md#usings");
        usings.DocumentFile.Should().Be("docs/a.md");
        usings.Line.Should().Be(1);
        usings.Text.Should().Be("using Foo.Bar;\n\nusing var x = Make();\nx.Run();");
        usings.StartsWithUsingDirectives.Should().BeTrue();

        var fragment = file.Regions[1];
        fragment.Text.Should().Be("if (y > 1)\n{\n    Go();\n}");
        fragment.StartsWithUsingDirectives.Should().BeFalse();
    }

    [Fact]
    public void Using_directives_outside_doc_regions_are_reported_but_using_statements_are_not()
    {
        SnippetSourceFile.Parse("S.cs", Source).UsingDirectiveLinesOutsideRegions.Should().Equal(4);
        SnippetSourceFile.IsUsingDirective("using static System.Math;").Should().BeTrue();
        SnippetSourceFile.IsUsingDirective("global using Alias = System.Text.StringBuilder;").Should().BeTrue();
        SnippetSourceFile.IsUsingDirective("using var pipeline = Build();").Should().BeFalse();
        SnippetSourceFile.IsUsingDirective("using (var scope = Open())").Should().BeFalse();
    }

    [Fact]
    public void A_doc_region_nested_in_another_is_refused()
    {
        var nested = "#region docs/a.md#x\n#region docs/a.md#y\n#endregion\n#endregion";

        FluentActions.Invoking(() => SnippetSourceFile.Parse("S.cs", nested)).Should().Throw<InvalidDataException>().WithMessage("S.cs:2:*nested*");
    }
}

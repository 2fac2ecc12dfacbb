namespace TinyGpt.Docs.Tests;

public class MarkdownCodeBlocksTests
{
    [Fact]
    public void Fenced_blocks_are_found_with_their_language_line_and_dedented_text()
    {
        var markdown = string.Join("\n",
            "# Title",
            "",
            "```csharp",
            "var a = 1;   ",
            "",
            "    Console.WriteLine(a);",
            "```",
            "",
            "- a list item:",
            "",
            "  ~~~~ C# extra words",
            "  if (x)",
            "  {",
            "      y();",
            "  }",
            "  ~~~~",
            "",
            "```bash",
            "echo hi",
            "```");

        var blocks = MarkdownCodeBlocks.Parse("docs/x.md", markdown);

        blocks.Should().HaveCount(3);
        blocks[0].Should().Be(new MarkdownCodeBlock("docs/x.md", 3, "csharp", "var a = 1;\n\n    Console.WriteLine(a);"));
        blocks[1].Should().Be(new MarkdownCodeBlock("docs/x.md", 11, "C#", "if (x)\n{\n    y();\n}"));
        blocks[1].IsCSharp.Should().BeTrue();
        blocks[2].Language.Should().Be("bash");
        blocks[2].IsCSharp.Should().BeFalse();
    }

    [Fact]
    public void A_shorter_fence_or_backticks_inside_do_not_close_a_block()
    {
        var markdown = "````cs\n```\nstill code\n````\nafter";

        var blocks = MarkdownCodeBlocks.Parse("a.md", markdown);

        blocks.Should().ContainSingle().Which.Text.Should().Be("```\nstill code");
    }

    [Fact]
    public void An_unclosed_fence_runs_to_the_end()
    {
        MarkdownCodeBlocks.Parse("a.md", "text\n```cs\nx();\n").Should().ContainSingle().Which.Text.Should().Be("x();");
    }
}

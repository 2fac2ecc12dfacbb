#region docs/hosting.md#chat-client
using Microsoft.Extensions.AI;
using TinyGpt.Chat;
using TinyGpt.Runs;
#endregion

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>docs/hosting.md, "IChatClient", run on <c>runs/demo</c>.</summary>
[Collection(DemoRunCollection.Name)]
public sealed class HostingChatClientSnippetTests(DemoRunFixture demo)
{
    [Fact]
    public async Task The_chat_client_replies_with_the_models_continuation_of_the_prompt()
    {
        using var scope = demo.Workspace.Enter();
        using var console = new ConsoleCapture();

        #region docs/hosting.md#chat-client
        using var run = RunFolder.Open("runs/demo");
        IChatClient client = new TinyGptChatClient(run.LoadGenerator(), modelId: "demo");
        ChatResponse reply = await client.GetResponseAsync("the quick brown", new ChatOptions { Temperature = 0, MaxOutputTokens = 16 });
        await foreach (var update in client.GetStreamingResponseAsync("the quick brown")) Console.Write(update.Text);
        #endregion

        reply.ModelId.Should().Be("demo");
        var greedy = new TinyGpt.Generation.GenerationOptions
        {
            MaxNewTokens = 16,
            Sampling = TinyGpt.Generation.SamplingOptions.Greedy,
            ContextOverflow = TinyGpt.Generation.ContextOverflow.KeepLastTokens,
        };
        reply.Text.Should().Be(run.LoadGenerator().Generate("the quick brown", greedy));
        console.Text.Should().NotBeEmpty();
    }
}

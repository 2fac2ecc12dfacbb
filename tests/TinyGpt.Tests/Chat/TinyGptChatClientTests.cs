using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using TinyGpt.Chat;
using TinyGpt.Generation;
using TinyGpt.Hosting;
using TinyGpt.Tests.Hosting;

namespace TinyGpt.Tests.Chat;

[Collection(TrainingCollection.Name)]
public class TinyGptChatClientTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    private static readonly ChatOptions Greedy = new() { Temperature = 0, MaxOutputTokens = 16 };

    private static GenerationOptions SameAsGreedy => new() { MaxNewTokens = 16, Sampling = SamplingOptions.Greedy, ContextOverflow = ContextOverflow.KeepLastTokens };

    [Fact]
    public async Task A_reply_is_the_greedy_completion_of_the_message_and_streaming_agrees()
    {
        var generator = await run.Pipeline.GetGeneratorAsync();
        using var client = new TinyGptChatClient(generator, "demo");
        var expected = generator.Generate("the quick brown", SameAsGreedy);

        var response = await client.GetResponseAsync("the quick brown", Greedy);
        var streamed = new List<string>();
        await foreach (var update in client.GetStreamingResponseAsync("the quick brown", Greedy))
        {
            streamed.Add(update.Text);
        }

        expected.Should().NotBeEmpty();
        response.Text.Should().Be(expected);
        response.ModelId.Should().Be("demo");
        string.Concat(streamed).Should().Be(expected);
    }

    [Fact]
    public async Task The_reply_ends_before_the_first_stop_sequence()
    {
        var generator = await run.Pipeline.GetGeneratorAsync();
        using var client = new TinyGptChatClient(generator);
        var full = generator.Generate("a small model", SameAsGreedy);
        full.Length.Should().BeGreaterThan(8);
        var stop = full.Substring(5, 3);

        var response = await client.GetResponseAsync("a small model", new ChatOptions { Temperature = 0, MaxOutputTokens = 16, StopSequences = [stop] });

        response.Text.Should().Be(full[..full.IndexOf(stop, StringComparison.Ordinal)]);
        response.FinishReason.Should().Be(ChatFinishReason.Stop);
    }

    [Fact]
    public async Task Tools_are_rejected_and_metadata_is_offered()
    {
        var generator = await run.Pipeline.GetGeneratorAsync();
        using var client = new TinyGptChatClient(generator, "demo");
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] };
        await FluentActions.Awaiting(() => client.GetResponseAsync("hi", options)).Should().ThrowAsync<NotSupportedException>();
        client.GetService<ChatClientMetadata>()!.DefaultModelId.Should().Be("demo");
        client.GetService<TextGenerator>().Should().BeSameAs(generator);
    }

    [Fact]
    public async Task AddTinyGpt_also_registers_a_chat_client_over_the_shared_generator()
    {
        using var provider = new ServiceCollection().AddTinyGpt(o => o.RunDirectory = run.RunDirectory).BuildServiceProvider();
        var client = provider.GetRequiredService<IChatClient>();
        client.GetService<TextGenerator>().Should().BeSameAs(provider.GetRequiredService<TextGenerator>());
        (await client.GetResponseAsync("every line", Greedy)).Text.Should().Be(provider.GetRequiredService<TextGenerator>().Generate("every line", SameAsGreedy));
    }

    [Fact]
    public void Stop_sequences_split_across_pieces_are_found_and_only_the_last_characters_are_held_back()
    {
        var filter = new StopSequenceFilter(["STOP"]);
        filter.Push("abcdef").Should().Be("abc");
        filter.Push("S").Should().Be("d");
        filter.Push("TO").Should().Be("ef");
        filter.Push("Pxyz").Should().BeEmpty("the stop sequence starts the held-back text");
        filter.Stopped.Should().BeTrue();
        filter.Push("more").Should().BeEmpty();
        filter.Flush().Should().BeEmpty();

        var none = new StopSequenceFilter(null);
        none.Push("abc").Should().Be("abc");
        none.Flush().Should().BeEmpty();
    }
}

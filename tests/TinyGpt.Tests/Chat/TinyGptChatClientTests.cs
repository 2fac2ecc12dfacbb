using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using TinyGpt.Chat;
using TinyGpt.Generation;
using TinyGpt.Tests.Hosting;

namespace TinyGpt.Tests.Chat;

[Collection(TrainingCollection.Name)]
public class TinyGptChatClientTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    private static readonly ChatOptions Greedy = new() { Temperature = 0, MaxOutputTokens = 16 };

    private static GenerationOptions SameAsGreedy => new() { MaxNewTokens = 16, Sampling = SamplingOptions.Greedy, ContextOverflow = ContextOverflow.KeepLastTokens };

    [Fact]
    public async Task A_reply_is_the_greedy_completion_with_its_usage_finish_reason_and_ids_and_streaming_agrees()
    {
        var generator = await run.Pipeline.GetGeneratorAsync();
        using var client = new TinyGptChatClient(generator, "demo");
        var expected = generator.Generate("the quick brown", SameAsGreedy);
        var promptTokens = generator.Tokenizer.Encode("the quick brown").Length;
        var generated = Generated(generator, "the quick brown", SameAsGreedy);

        var response = await client.GetResponseAsync("the quick brown", Greedy);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("the quick brown", Greedy))
        {
            updates.Add(update);
        }

        expected.Should().NotBeEmpty();
        response.Text.Should().Be(expected);
        response.ModelId.Should().Be("demo");
        response.Usage!.InputTokenCount.Should().Be(promptTokens);
        response.Usage.OutputTokenCount.Should().Be(generated);
        response.Usage.TotalTokenCount.Should().Be(promptTokens + generated);
        response.FinishReason.Should().Be(generated == 16 ? ChatFinishReason.Length : ChatFinishReason.Stop);
        response.ResponseId.Should().StartWith("tinygpt-");
        response.CreatedAt.Should().NotBeNull();

        string.Concat(updates.Select(u => u.Text)).Should().Be(expected);
        updates.Select(u => u.ResponseId).Distinct().Should().ContainSingle().Which.Should().NotBe(response.ResponseId, "every response has its own id");
        updates.Should().OnlyContain(u => u.ModelId == "demo" && u.CreatedAt != null);
        updates[..^1].Should().OnlyContain(u => u.FinishReason == null && !u.Contents.OfType<UsageContent>().Any());
        updates[^1].FinishReason.Should().Be(response.FinishReason);
        updates[^1].Contents.OfType<UsageContent>().Single().Details.OutputTokenCount.Should().Be(generated);
    }

    [Fact]
    public async Task MaxOutputTokens_ends_with_Length_and_the_end_of_text_token_with_Stop()
    {
        var generator = await run.Pipeline.GetGeneratorAsync();
        using var client = new TinyGptChatClient(generator);

        var shortReply = await client.GetResponseAsync("every line", new ChatOptions { Temperature = 0, MaxOutputTokens = 2 });
        shortReply.FinishReason.Should().Be(ChatFinishReason.Length);
        shortReply.Usage!.OutputTokenCount.Should().Be(2);

        // Stopping on the token the model draws first makes the end-of-text case deterministic.
        var first = generator.Tokens.Generate(generator.Tokenizer.Encode("every line"), SameAsGreedy with { MaxNewTokens = 1 })[0];
        using var stopping = new TinyGptChatClient(generator, defaults: SameAsGreedy with { StopTokenIds = [first] });
        var stopped = await stopping.GetResponseAsync("every line", new ChatOptions { MaxOutputTokens = 16 });
        stopped.Text.Should().BeEmpty();
        stopped.FinishReason.Should().Be(ChatFinishReason.Stop);
        stopped.Usage!.OutputTokenCount.Should().Be(0);
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
        response.Usage!.OutputTokenCount.Should().BeLessThan(16, "decoding stops at the token that completes the stop sequence");
    }

    [Fact]
    public async Task The_repetition_penalty_travels_in_additional_properties()
    {
        var (viaProperty, direct, _) = await GreedyWithProperty(TinyGptChatClient.RepetitionPenaltyKey, 1.5, SamplingOptions.Greedy with { RepetitionPenalty = 1.5 });

        viaProperty.Should().Be(direct);
    }

    [Fact]
    public async Task The_no_repeat_ngram_size_travels_in_additional_properties()
    {
        var (viaProperty, direct, plain) = await GreedyWithProperty(TinyGptChatClient.NoRepeatNgramSizeKey, 2, SamplingOptions.Greedy with { NoRepeatNgramSize = 2 });

        viaProperty.Should().Be(direct).And.NotBe(plain, "plain greedy decoding repeats a bigram within 16 tokens of this model");

        var generator = await run.Pipeline.GetGeneratorAsync();
        using var client = new TinyGptChatClient(generator);
        var wrongType = new ChatOptions { AdditionalProperties = new() { [TinyGptChatClient.NoRepeatNgramSizeKey] = "three" } };
        var act = () => client.GetResponseAsync("the quick", wrongType);
        await act.Should().ThrowAsync<ArgumentException>().WithMessage("*no_repeat_ngram_size*whole number*");
    }

    // Greedy replies to one prompt: with a sampling setting given as an additional property, with the same
    // setting given to the generator directly, and with no setting at all.
    private async Task<(string ViaProperty, string Direct, string Plain)> GreedyWithProperty(string key, object value, SamplingOptions direct)
    {
        var generator = await run.Pipeline.GetGeneratorAsync();
        using var client = new TinyGptChatClient(generator);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 16, AdditionalProperties = new() { [key] = value } };
        return ((await client.GetResponseAsync("the quick", options)).Text,
            generator.Generate("the quick", SameAsGreedy with { Sampling = direct }),
            generator.Generate("the quick", SameAsGreedy));
    }

    public static TheoryData<string> Unsupported => ["tools", "tool mode", "json", "frequency penalty", "presence penalty", "conversation", "other model", "unknown property", "background"];

    [Theory]
    [MemberData(nameof(Unsupported))]
    public async Task Options_that_would_change_the_answer_but_cannot_be_honoured_are_refused(string what)
    {
        var generator = await run.Pipeline.GetGeneratorAsync();
        using var client = new TinyGptChatClient(generator, "demo");
        var options = what switch
        {
            "tools" => new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] },
            "tool mode" => new ChatOptions { ToolMode = ChatToolMode.RequireAny },
            "json" => new ChatOptions { ResponseFormat = ChatResponseFormat.Json },
            "frequency penalty" => new ChatOptions { FrequencyPenalty = 0.5f },
            "presence penalty" => new ChatOptions { PresencePenalty = 0.5f },
            "conversation" => new ChatOptions { ConversationId = "c1" },
            "other model" => new ChatOptions { ModelId = "gpt-4o" },
            "unknown property" => new ChatOptions { AdditionalProperties = new() { ["top_a"] = 0.1 } },
            _ => new ChatOptions { AllowBackgroundResponses = true },
        };

        await FluentActions.Awaiting(() => client.GetResponseAsync("hi", options)).Should().ThrowAsync<NotSupportedException>();
        // Unseeded sampling may draw the end token first, so only the call's success is checked.
        await FluentActions.Awaiting(() => client.GetResponseAsync("hi", new ChatOptions { ModelId = "demo", MaxOutputTokens = 2 })).Should().NotThrowAsync("naming this model is fine");
        client.GetService<ChatClientMetadata>()!.DefaultModelId.Should().Be("demo");
        client.GetService<TextGenerator>().Should().BeSameAs(generator);
    }

    [Fact]
    public async Task AddTinyGpt_registers_a_chat_client_over_the_shared_generator_named_after_the_run_folder()
    {
        var services = new ServiceCollection();
        services.AddTinyGpt(o => o.RunDirectory = run.RunDirectory);
        using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IChatClient>();
        client.GetService<TextGenerator>().Should().BeSameAs(provider.GetRequiredService<TextGenerator>());
        var response = await client.GetResponseAsync("every line", Greedy);
        response.Text.Should().Be(provider.GetRequiredService<TextGenerator>().Generate("every line", SameAsGreedy));
        response.ModelId.Should().Be("run");
    }

    [Fact]
    public void Stop_strings_split_across_pieces_are_found_and_only_the_last_characters_are_held_back()
    {
        var filter = new StopStringFilter(["STOP"]);
        filter.Push("abcdef").Should().Be("abc");
        filter.Push("S").Should().Be("d");
        filter.Push("TO").Should().Be("ef");
        filter.Push("Pxyz").Should().BeEmpty("the stop sequence starts the held-back text");
        filter.Stopped.Should().BeTrue();
        filter.Push("more").Should().BeEmpty();
        filter.Flush().Should().BeEmpty();

        var none = new StopStringFilter(null);
        none.Push("abc").Should().Be("abc");
        none.Flush().Should().BeEmpty();
    }

    // Tokens the generator draws before a stop token or the limit, counted independently of text.
    private static int Generated(TextGenerator generator, string prompt, GenerationOptions options) =>
        generator.Tokens.Generate(generator.Tokenizer.Encode(prompt), options with { StopTokenIds = generator.Tokenizer.EndOfTextId is { } eot ? [eot] : [] }).Length;
}

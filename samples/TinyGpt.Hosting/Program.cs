// A minimal web API that serves completions of a trained TinyGpt run through its IChatClient,
// streamed as server-sent events.
//
//   dotnet run --project samples/TinyGpt.Hosting -- --urls http://127.0.0.1:5080 --TinyGpt:RunDirectory runs/demo
//   curl -N -X POST http://127.0.0.1:5080/complete -H 'Content-Type: application/json' -d '{"prompt":"the quick brown","maxNewTokens":40}'
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using TinyGpt.Hosting;
using TinyGpt.Samples.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddProblemDetails();

// The options bind from configuration ("TinyGpt" section, environment TinyGpt__RunDirectory, or the
// command line); the model loads while the host starts, once, and is shared by all requests.
builder.Services.AddTinyGpt(builder.Configuration.GetSection(TinyGptOptions.SectionName))
    .UseLogging();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapGet("/", () => "POST /complete {\"prompt\": \"...\", \"maxNewTokens\": 40, \"temperature\": 0, \"stop\": [\".\"]} streams a completion as server-sent events.");

app.MapPost("/complete", (CompletionRequest request, IChatClient client, CancellationToken cancellationToken) =>
{
    var problems = request.Validate();
    return problems.Count > 0
        ? Results.ValidationProblem(problems, title: "The completion request is invalid.")
        : TypedResults.ServerSentEvents(Stream(client, request, cancellationToken));
});

app.Run();

// One "text" event per piece as it forms, then one "done" event with the finish reason and usage.
static async IAsyncEnumerable<SseItem<CompletionEvent>> Stream(IChatClient client, CompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
{
    await foreach (var update in client.GetStreamingResponseAsync(request.Prompt ?? string.Empty, request.ToChatOptions(), cancellationToken))
    {
        if (update.Text.Length > 0)
        {
            yield return new SseItem<CompletionEvent>(new CompletionEvent(update.Text), "text");
        }

        if (update.FinishReason is { } finish)
        {
            var usage = update.Contents.OfType<UsageContent>().SingleOrDefault()?.Details;
            yield return new SseItem<CompletionEvent>(new CompletionEvent(null, finish.Value, usage?.InputTokenCount, usage?.OutputTokenCount), "done");
        }
    }
}

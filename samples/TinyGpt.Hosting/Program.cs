// A minimal web API that serves completions of a trained TinyGpt run, streamed as plain text.
//
//   dotnet run --project samples/TinyGpt.Hosting -- --urls http://127.0.0.1:5080 --TinyGpt:RunDirectory runs/demo
//   curl -N -X POST http://127.0.0.1:5080/complete -H 'Content-Type: application/json' -d '{"prompt":"the quick brown","maxNewTokens":40}'
using TinyGpt.Generation;
using TinyGpt.Hosting;
using TinyGpt.Samples.Hosting;

var builder = WebApplication.CreateBuilder(args);

// The options bind from configuration ("TinyGpt" section, environment TinyGpt__RunDirectory, or the
// command line); the model loads when the first request needs it, once, and is shared by all requests.
builder.Services.AddTinyGpt(options => builder.Configuration.GetSection(TinyGptOptions.SectionName).Bind(options));

var app = builder.Build();

app.MapGet("/", () => "POST /complete {\"prompt\": \"...\", \"maxNewTokens\": 40, \"temperature\": 0} streams a completion.");

app.MapPost("/complete", async (CompletionRequest request, TextGenerator generator, HttpResponse response, CancellationToken cancellationToken) =>
{
    var options = request.ToOptions();
    var problems = options.Validate();
    if (problems.Count > 0)
    {
        response.StatusCode = StatusCodes.Status400BadRequest;
        await response.WriteAsync(string.Join(Environment.NewLine, problems), cancellationToken);
        return;
    }

    // TextGenerator is thread-safe: concurrent requests take turns, one generation at a time.
    response.ContentType = "text/plain; charset=utf-8";
    await foreach (var piece in generator.GenerateStreamingAsync(request.Prompt ?? string.Empty, options, cancellationToken))
    {
        await response.WriteAsync(piece, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
});

app.Run();

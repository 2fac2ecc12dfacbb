using Microsoft.Extensions.Logging;
using Microsoft.ML;

namespace TinyGpt.MachineLearning;

/// <summary>TinyGpt in ML.NET's catalogs: <c>mlContext.Transforms.Text.TrainTinyGpt(...)</c>.</summary>
public static class TinyGptCatalog
{
    /// <summary>
    /// An estimator that trains a TinyGpt model on a text column and fits to a transformer that
    /// completes a prompt column.
    /// </summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="options">What to train on, how, and how to generate.</param>
    /// <param name="logger">Receives preparation and training progress; null logs nothing.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public static TinyGptEstimator TrainTinyGpt(this TransformsCatalog.TextTransforms catalog, TinyGptEstimatorOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        var estimator = new TinyGptEstimator(options, logger);
        var problems = estimator.Validate();
        return problems.Count == 0 ? estimator : throw new ArgumentException("Invalid TinyGptEstimatorOptions: " + string.Join(" ", problems), nameof(options));
    }

    /// <summary>The same with the common settings as arguments.</summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="runDirectory">The folder to train in.</param>
    /// <param name="outputColumnName">The column of completions to add.</param>
    /// <param name="promptColumnName">The column of prompts.</param>
    /// <param name="textColumnName">The column of training text.</param>
    /// <param name="maxSteps">Optimizer steps.</param>
    public static TinyGptEstimator TrainTinyGpt(this TransformsCatalog.TextTransforms catalog, string runDirectory, string outputColumnName = "Generated", string promptColumnName = "Prompt", string textColumnName = "Text", int maxSteps = 200) =>
        catalog.TrainTinyGpt(new TinyGptEstimatorOptions
        {
            RunDirectory = runDirectory,
            OutputColumnName = outputColumnName,
            PromptColumnName = promptColumnName,
            TextColumnName = textColumnName,
            MaxSteps = maxSteps,
        });

    /// <summary>
    /// Lets <c>mlContext.Model.Load</c> read pipelines with TinyGpt transformers: registers this
    /// assembly's custom-mapping factory with the context's component catalog. Call it before loading.
    /// </summary>
    /// <returns><paramref name="context"/>, for chaining.</returns>
    public static MLContext RegisterTinyGpt(this MLContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.ComponentCatalog.RegisterAssembly(typeof(TinyGptGenerationMappingFactory).Assembly);
        return context;
    }
}

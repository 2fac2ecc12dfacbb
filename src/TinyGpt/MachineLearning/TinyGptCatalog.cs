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
        return new TinyGptEstimator(null, options, logger);
    }

    /// <summary>
    /// As <see cref="TrainTinyGpt(TransformsCatalog.TextTransforms, TinyGptEstimatorOptions, ILogger?)"/>,
    /// honouring the caller's context: its seed when <see cref="TinyGptEstimatorOptions.Seed"/> is null,
    /// and its log. ML.NET keeps a catalog's context internal, so it is passed here explicitly:
    /// <c>mlContext.Transforms.Text.TrainTinyGpt(mlContext, options)</c>.
    /// </summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="context">The context the catalog belongs to.</param>
    /// <param name="options">What to train on, how, and how to generate.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public static TinyGptEstimator TrainTinyGpt(this TransformsCatalog.TextTransforms catalog, MLContext context, TinyGptEstimatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new TinyGptEstimator(context, options);
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
    /// <param name="context">The context that will load pipelines.</param>
    /// <param name="device">
    /// Where reloaded pipelines generate: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; null keeps the
    /// current <see cref="TinyGptModelStore.Device"/> (<c>cpu</c> unless set). ML.NET creates custom
    /// mappings without their context, so the device is the store's, for the whole process.
    /// </param>
    /// <returns><paramref name="context"/>, for chaining.</returns>
    public static MLContext RegisterTinyGpt(this MLContext context, string? device = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (device is not null)
        {
            TinyGptModelStore.Device = device;
        }

        context.ComponentCatalog.RegisterAssembly(typeof(TinyGptGenerationMappingFactory).Assembly);
        return context;
    }
}

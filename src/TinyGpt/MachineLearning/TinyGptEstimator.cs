using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using TinyGpt.Generation;
using TinyGpt.Hosting;
using TinyGpt.Modeling;

namespace TinyGpt.MachineLearning;

/// <summary>
/// Trains a TinyGpt model on a text column (a BPE tokenizer, then the model, in
/// <see cref="TinyGptEstimatorOptions.RunDirectory"/>) and returns a <see cref="TinyGptTransformer"/>
/// that completes the prompts of a prompt column. Create it with
/// <c>mlContext.Transforms.Text.TrainTinyGpt(options)</c> (<see cref="TinyGptCatalog"/>).
/// </summary>
public sealed class TinyGptEstimator : IEstimator<TinyGptTransformer>
{
    internal const string PromptColumn = nameof(TinyGptGenerationInput.TinyGptPrompt);
    internal const string ModelColumn = nameof(TinyGptGenerationInput.TinyGptModel);
    internal const string GeneratedColumn = nameof(TinyGptGenerationOutput.TinyGptGenerated);

    private readonly MLContext _context;
    private readonly TinyGptEstimatorOptions _options;
    private readonly ILogger? _logger;
    private readonly long _seed;

    /// <summary>
    /// An estimator that uses <paramref name="context"/>: its seed (when <see cref="TinyGptEstimatorOptions.Seed"/>
    /// is null) and its log (<see cref="MLContext.Log"/> receives preparation and training progress).
    /// </summary>
    /// <param name="context">The caller's ML.NET context.</param>
    /// <param name="options">What to train on, how, and how to generate.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public TinyGptEstimator(MLContext context, TinyGptEstimatorOptions options)
        : this(context ?? throw new ArgumentNullException(nameof(context)), options, logger: null)
    {
    }

    internal TinyGptEstimator(MLContext? context, TinyGptEstimatorOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _context = (context ?? new MLContext(seed: unchecked((int)(options.Seed ?? 1337)))).RegisterTinyGpt();
        // IHostEnvironment.Register and IChannelProvider.Start are the public ways into a context's
        // random source and log; the catalogs' own environment is internal to ML.NET.
        _seed = options.Seed ?? (context is null ? 1337 : ((IHostEnvironment)context).Register("TinyGpt").Rand.NextInt64(int.MaxValue));
        _logger = logger ?? (context is null ? null : new MLContextLogger(context));
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid TinyGptEstimatorOptions: " + string.Join(" ", problems), nameof(options));
        }
    }

    /// <summary>The seed this estimator trains with: <see cref="TinyGptEstimatorOptions.Seed"/>, or the one drawn from the context.</summary>
    public long Seed => _seed;

    /// <summary>Trains on the text column of <paramref name="input"/> (empty rows are skipped) and returns the fitted transformer.</summary>
    /// <exception cref="ArgumentException">The column is missing or not text, or there are too few rows.</exception>
    public TinyGptTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var column = input.Schema.GetColumnOrNull(_options.TextColumnName)
            ?? throw new ArgumentException($"The data has no '{_options.TextColumnName}' column to train on; set TextColumnName. Columns: {string.Join(", ", input.Schema.Select(c => c.Name))}.", nameof(input));
        if (column.Type is not TextDataViewType)
        {
            throw new ArgumentException($"The column '{_options.TextColumnName}' holds {column.Type}, not text.", nameof(input));
        }

        var lines = input.GetColumn<string>(_options.TextColumnName)
            .Where(line => !string.IsNullOrWhiteSpace(line))
            .Select(line => line.ReplaceLineEndings(" ").TrimEnd() + "\n");
        var text = string.Concat(lines);

        var config = GptConfig.FromPreset(_options.Preset);
        if (_options.ContextLength is { } context)
        {
            config = config with { ContextLength = context };
        }

        var builder = new GptBuilder()
            .WithCorpus(Hosting.CorpusSource.Text(text, _options.ValidationFraction))
            .WithTokenizer(Hosting.TokenizerSource.Bpe(_options.VocabSize))
            .WithModel(config)
            .WithSeed(_seed)
            .WithRunDirectory(_options.RunDirectory!)
            .WithTraining(t =>
            {
                t.MaxSteps = _options.MaxSteps;
                t.BatchSize = _options.BatchSize;
                t.LearningRate = _options.LearningRate;
                t.Seed = _seed;
                t.Device = _options.Device;
                t.EvalInterval = 0;
                t.CheckpointInterval = 0;
                t.WarmupSteps = Math.Min(_options.MaxSteps / 10, 200);
            });
        if (_logger is not null)
        {
            builder.WithLogger(_logger);
        }

        GptBuilderValidationException? invalid = null;
        GptPipeline? pipeline = null;
        try
        {
            pipeline = builder.Build();
        }
        catch (GptBuilderValidationException e)
        {
            invalid = e;
        }

        if (invalid is not null)
        {
            throw new ArgumentException("TinyGpt cannot train on this data: " + string.Join(" ", invalid.Problems), nameof(input), invalid);
        }

        using (pipeline)
        {
            pipeline!.TrainAsync().GetAwaiter().GetResult();
        }

        var id = TinyGptModelStore.Add(_options.RunDirectory!, GenerationOptions());
        var prompts = PromptSchemaData();
        var inner = CreateChain(id).Fit(prompts);
        return new TinyGptTransformer(inner, id, Path.GetFullPath(_options.RunDirectory!));
    }

    /// <summary>The schema after transforming: the input plus the text column <see cref="TinyGptEstimatorOptions.OutputColumnName"/>.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => CreateChain(new string('0', 32)).GetOutputSchema(inputSchema);

    internal IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        foreach (var (name, value) in new[] { (nameof(_options.TextColumnName), _options.TextColumnName), (nameof(_options.PromptColumnName), _options.PromptColumnName), (nameof(_options.OutputColumnName), _options.OutputColumnName) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                problems.Add($"{name} must name a column.");
            }
        }

        if (string.IsNullOrWhiteSpace(_options.RunDirectory))
        {
            problems.Add($"{nameof(_options.RunDirectory)} must name the folder to train in.");
        }

        if (!Enum.IsDefined(_options.Preset))
        {
            problems.Add($"{nameof(_options.Preset)} must be one of {string.Join(", ", Enum.GetNames<GptPreset>())} (got {_options.Preset}).");
        }

        if (_options.Sampling is null)
        {
            problems.Add($"{nameof(_options.Sampling)} must not be null; use SamplingOptions.Greedy.");
        }
        else
        {
            problems.AddRange(GenerationOptions().Validate());
        }

        return problems;
    }

    private GenerationOptions GenerationOptions() => new()
    {
        MaxNewTokens = _options.MaxNewTokens,
        Sampling = _options.Sampling,
        ContextOverflow = ContextOverflow.KeepLastTokens,
    };

    private IDataView PromptSchemaData()
    {
        var definition = Microsoft.ML.Data.SchemaDefinition.Create(typeof(PromptRow));
        definition[0].ColumnName = _options.PromptColumnName;
        return _context.Data.LoadFromEnumerable([new PromptRow()], definition);
    }

    private IEstimator<ITransformer> CreateChain(string id) =>
        _context.Transforms.CopyColumns(PromptColumn, _options.PromptColumnName)
            .Append(_context.Transforms.Expression(ModelColumn, $"p => \"{id}\"", PromptColumn))
            .Append(_context.Transforms.CustomMapping<TinyGptGenerationInput, TinyGptGenerationOutput>(TinyGptGenerationMappingFactory.Map, TinyGptGenerationMappingFactory.ContractName))
            .Append(_context.Transforms.CopyColumns(_options.OutputColumnName, GeneratedColumn))
            .Append(_context.Transforms.DropColumns(PromptColumn, ModelColumn, GeneratedColumn));

    private sealed class PromptRow
    {
        public string Prompt { get; set; } = string.Empty;
    }
}

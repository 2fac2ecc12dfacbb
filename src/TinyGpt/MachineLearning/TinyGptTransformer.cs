using Microsoft.ML;
using Microsoft.ML.Data;

namespace TinyGpt.MachineLearning;

/// <summary>
/// A fitted TinyGpt model as an ML.NET transformer: adds a text column with the completion of each
/// prompt. It is a chain of ML.NET's own transforms around a custom mapping, so
/// <c>mlContext.Model.Save</c> writes it and <c>mlContext.Model.Load</c> reads it back (as that chain)
/// once <see cref="TinyGptCatalog.RegisterTinyGpt"/> has been called; the weights stay in
/// <see cref="TinyGptModelStore"/> under <see cref="ModelId"/>.
/// </summary>
public sealed class TinyGptTransformer : ITransformer
{
    private readonly ITransformer _inner;

    internal TinyGptTransformer(ITransformer inner, string modelId, string runDirectory)
    {
        _inner = inner;
        ModelId = modelId;
        RunDirectory = runDirectory;
    }

    /// <summary>The id of the model in <see cref="TinyGptModelStore"/>.</summary>
    public string ModelId { get; }

    /// <summary>The run folder the model was trained in (metrics, checkpoints, loss curve).</summary>
    public string RunDirectory { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => _inner.IsRowToRowMapper;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _inner.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _inner.GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => _inner.Transform(input);

    /// <inheritdoc />
    void ICanSaveModel.Save(ModelSaveContext ctx) => _inner.Save(ctx);
}

using Microsoft.ML.Transforms;

namespace TinyGpt.MachineLearning;

/// <summary>
/// Lets ML.NET rebuild the generation step of a saved <see cref="TinyGptTransformer"/>: the saved
/// pipeline records the contract name <see cref="ContractName"/>, and ML.NET finds this factory
/// after <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(TinyGptGenerationMappingFactory).Assembly)</c>
/// (or <see cref="TinyGptCatalog.RegisterTinyGpt"/>). The model itself is found by the id each row carries.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class TinyGptGenerationMappingFactory : CustomMappingFactory<TinyGptGenerationInput, TinyGptGenerationOutput>
{
    /// <summary>The contract name recorded in saved pipelines.</summary>
    public const string ContractName = "TinyGpt.TextGeneration.v1";

    /// <summary>The mapping: generates the completion of the prompt with the stored model the row names.</summary>
    public override Action<TinyGptGenerationInput, TinyGptGenerationOutput> GetMapping() => Map;

    internal static void Map(TinyGptGenerationInput input, TinyGptGenerationOutput output)
    {
        var (generator, options) = TinyGptModelStore.Open(input.TinyGptModel);
        output.TinyGptGenerated = generator.Generate(input.TinyGptPrompt ?? string.Empty, options);
    }
}

namespace TinyGpt.Modeling;

/// <summary>How many parameters a model has.</summary>
/// <param name="Total">Every trainable parameter, counting a tied embedding once.</param>
/// <param name="Embedding">Token and position embedding parameters.</param>
/// <param name="NonEmbedding">Total minus embeddings: the count that scaling laws and the 6N FLOPs rule use.</param>
public readonly record struct GptParameterCount(long Total, long Embedding, long NonEmbedding);

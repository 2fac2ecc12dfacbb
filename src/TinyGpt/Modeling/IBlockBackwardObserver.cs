namespace TinyGpt.Modeling;

/// <summary>
/// Told, during a backward pass through <see cref="GptModel"/>, each time the gradient has flowed
/// back through a transformer block (see <see cref="GptModel.BlockBackwardObserver"/>).
/// </summary>
internal interface IBlockBackwardObserver
{
    /// <summary>
    /// Called from inside backward, on the thread that runs it, once the gradient with respect to
    /// the input of block <paramref name="block"/> has been computed. By then the gradients of that
    /// block's parameters, and of every block above it, are complete (see
    /// <see cref="GptModel.GradientCompleteAfterBlock"/>). Blocks arrive from the last to the first.
    /// </summary>
    /// <remarks>Must not throw: an exception that escapes into libtorch's backward ends the process.</remarks>
    void BlockBackwardCompleted(int block);
}

namespace TinyGpt.Training;

/// <summary>An operation started by <see cref="ICollective.AllReduceSumAsync"/> that has not completed yet.</summary>
public interface ICollectiveRequest
{
    /// <summary>Blocks until the operation has completed on this rank; safe to call more than once.</summary>
    void Wait();
}

namespace TinyGpt.Distributed.Mpi;

/// <summary>
/// MPI is needed (the process was started by an MPI launcher, or MPI was asked for) but no usable
/// MPI library could be loaded. The message says which files were tried and how to install one.
/// </summary>
public sealed class MpiUnavailableException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public MpiUnavailableException()
        : base("No MPI library could be loaded.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public MpiUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public MpiUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

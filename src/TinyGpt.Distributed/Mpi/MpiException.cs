namespace TinyGpt.Distributed.Mpi;

/// <summary>An MPI call returned an error code; the message holds the MPI library's own description of it.</summary>
public sealed class MpiException : Exception
{
    /// <summary>Creates an exception with a message only.</summary>
    public MpiException()
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public MpiException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public MpiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a failed MPI call.</summary>
    /// <param name="function">The MPI function that failed, e.g. <c>MPI_Allreduce</c>.</param>
    /// <param name="errorCode">The code it returned.</param>
    /// <param name="errorString">The text <c>MPI_Error_string</c> gave for the code.</param>
    public MpiException(string function, int errorCode, string errorString)
        : base($"{function} failed with MPI error {errorCode}: {errorString}")
    {
        Function = function;
        ErrorCode = errorCode;
    }

    /// <summary>The MPI function that failed, or null when not from a call.</summary>
    public string? Function { get; }

    /// <summary>The MPI error code the call returned; 0 when not from a call.</summary>
    public int ErrorCode { get; }
}

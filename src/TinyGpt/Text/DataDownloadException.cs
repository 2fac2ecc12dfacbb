namespace TinyGpt.Text;

/// <summary>
/// A corpus could not be downloaded or did not match its pinned checksum. The message says how to
/// supply the files by hand.
/// </summary>
public sealed class DataDownloadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DataDownloadException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public DataDownloadException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public DataDownloadException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

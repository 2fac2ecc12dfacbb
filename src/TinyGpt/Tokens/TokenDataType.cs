namespace TinyGpt.Tokens;

/// <summary>How token ids are stored in a token file.</summary>
public enum TokenDataType
{
    /// <summary>Two bytes per token, for vocabularies of at most 65,536 ids.</summary>
    UInt16 = 1,

    /// <summary>Four bytes per token, for larger vocabularies.</summary>
    Int32 = 2,
}

using System.Buffers.Binary;
using System.Text;

namespace TinyGpt.Tokens;

/// <summary>
/// The header of a token file (little-endian): magic <c>TGPTTOKS</c>, format version, header size
/// (where the ids start), data type, vocabulary size, token count, the source's sha256 (32 raw
/// bytes), and the tokenizer fingerprint (length-prefixed UTF-8), padded to a multiple of 64 bytes.
/// </summary>
internal sealed record TokenFileHeader(TokenDataType DataType, int VocabSize, long Count, string SourceSha256, string TokenizerFingerprint)
{
    internal const int Version = 1;
    private const int FixedSize = 68;
    private static readonly byte[] Magic = "TGPTTOKS"u8.ToArray();

    internal int BytesPerToken => DataType == TokenDataType.UInt16 ? 2 : 4;

    internal static TokenDataType DataTypeFor(int vocabSize) => vocabSize <= 65_536 ? TokenDataType.UInt16 : TokenDataType.Int32;

    internal byte[] ToBytes()
    {
        var fingerprint = Encoding.UTF8.GetBytes(TokenizerFingerprint);
        var size = (FixedSize + fingerprint.Length + 63) / 64 * 64;
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], size);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], (int)DataType);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], VocabSize);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], Count);
        Convert.FromHexString(SourceSha256).CopyTo(span[32..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[64..], fingerprint.Length);
        fingerprint.CopyTo(span[FixedSize..]);
        return bytes;
    }

    /// <summary>Reads the header, or explains in <paramref name="problem"/> why the file is not a token file this version reads.</summary>
    internal static TokenFileHeader? TryRead(Stream stream, out int headerSize, out string? problem)
    {
        headerSize = 0;
        var fixedPart = new byte[FixedSize];
        if (stream.Length < FixedSize || stream.ReadAtLeast(fixedPart, FixedSize, throwOnEndOfStream: false) < FixedSize)
        {
            problem = "it is shorter than a token file header";
            return null;
        }

        ReadOnlySpan<byte> span = fixedPart;
        if (!span[..8].SequenceEqual(Magic))
        {
            problem = "it does not start with the token file magic 'TGPTTOKS'";
            return null;
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        if (version != Version)
        {
            problem = $"it has format version {version}; this library reads version {Version}";
            return null;
        }

        headerSize = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        var dataType = (TokenDataType)BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
        var vocabSize = BinaryPrimitives.ReadInt32LittleEndian(span[20..]);
        var count = BinaryPrimitives.ReadInt64LittleEndian(span[24..]);
        var sha = Convert.ToHexStringLower(span.Slice(32, 32));
        var fingerprintLength = BinaryPrimitives.ReadInt32LittleEndian(span[64..]);
        if (dataType is not (TokenDataType.UInt16 or TokenDataType.Int32) || fingerprintLength < 0 || headerSize < FixedSize + fingerprintLength || count < 0)
        {
            problem = "its header is damaged";
            return null;
        }

        var fingerprint = new byte[fingerprintLength];
        if (stream.ReadAtLeast(fingerprint, fingerprintLength, throwOnEndOfStream: false) < fingerprintLength)
        {
            problem = "its header is cut short";
            return null;
        }

        var header = new TokenFileHeader(dataType, vocabSize, count, sha, Encoding.UTF8.GetString(fingerprint));
        if (stream.Length != headerSize + count * header.BytesPerToken)
        {
            problem = $"it is {stream.Length} bytes long, but its header promises {headerSize + (count * header.BytesPerToken)}";
            return null;
        }

        problem = null;
        return header;
    }
}

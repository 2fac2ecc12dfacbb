using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace TinyGpt.Tests.Reporting;

/// <summary>
/// An independent PNG reader for tests: checks the signature, every chunk's CRC (bit by bit, not
/// with the encoder's table), the chunk order, inflates the IDAT data and undoes filter type 0.
/// </summary>
internal sealed class PngTestDecoder
{
    private PngTestDecoder(int width, int height, int colorType, byte[] pixels, IReadOnlyList<string> chunks)
    {
        Width = width;
        Height = height;
        ColorType = colorType;
        Pixels = pixels;
        Chunks = chunks;
    }

    public int Width { get; }

    public int Height { get; }

    public int ColorType { get; }

    public int Channels => ColorType == 6 ? 4 : 3;

    public byte[] Pixels { get; }

    public IReadOnlyList<string> Chunks { get; }

    public (byte R, byte G, byte B) GetRgb(int x, int y)
    {
        var i = ((y * Width) + x) * Channels;
        return (Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }

    public static PngTestDecoder Decode(byte[] file)
    {
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        file.AsSpan(0, 8).ToArray().Should().Equal(signature);
        var chunks = new List<string>();
        using var idat = new MemoryStream();
        int width = 0, height = 0, colorType = 0;
        var offset = 8;
        while (offset < file.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(offset));
            length.Should().BeGreaterThanOrEqualTo(0);
            var typeAndData = file.AsSpan(offset + 4, 4 + length);
            var type = Encoding.ASCII.GetString(typeAndData[..4]);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(offset + 8 + length));
            crc.Should().Be(BitwiseCrc32(typeAndData), $"the CRC of chunk {type} must match");
            var data = typeAndData[4..];
            chunks.Add(type);
            switch (type)
            {
                case "IHDR":
                    data.Length.Should().Be(13);
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    data[8].Should().Be(8, "bit depth");
                    colorType = data[9];
                    colorType.Should().BeOneOf(2, 6);
                    data[10].Should().Be(0);
                    data[11].Should().Be(0);
                    data[12].Should().Be(0);
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                default:
                    break;
            }

            offset += 12 + length;
        }

        offset.Should().Be(file.Length, "the last chunk must end at the end of the file");
        chunks[0].Should().Be("IHDR");
        chunks[^1].Should().Be("IEND");

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        var channels = colorType == 6 ? 4 : 3;
        var stride = width * channels;
        var raw = inflated.ToArray();
        raw.Length.Should().Be((stride + 1) * height);
        var pixels = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            raw[y * (stride + 1)].Should().Be(0, "every row uses filter type 0");
            Array.Copy(raw, (y * (stride + 1)) + 1, pixels, y * stride, stride);
        }

        return new PngTestDecoder(width, height, colorType, pixels, chunks);
    }

    private static uint BitwiseCrc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
            }
        }

        return ~crc;
    }
}

using System.Buffers.Binary;
using System.Text;
using TinyGpt.Serialization;
using TinyGpt.Tests.Data;

namespace TinyGpt.Tests.Serialization;

/// <summary>Files past 2 GiB (gpt2-large is 3.1 GB in fp32): offsets are 64-bit and nothing reads the whole file.</summary>
public sealed class SafeTensorsLargeFileTests
{
    [Fact]
    public void A_tensor_stored_past_the_first_two_gibibytes_loads()
    {
        using var folder = new TempDirectory();
        var path = folder.File("large.safetensors");
        const long padding = (2L << 30) + 4096; // a 2 GiB + 4 KiB tensor of zeros, then the one read
        var header = $"{{\"__metadata__\":{{\"format\":\"pt\"}},\"filler\":{{\"dtype\":\"F32\",\"shape\":[{padding / 4}],\"data_offsets\":[0,{padding}]}},\"tail\":{{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[{padding},{padding + 12}]}}}}";
        var json = Encoding.UTF8.GetBytes(header);
        using (var file = File.Create(path))
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)json.Length);
            file.Write(prefix);
            file.Write(json);
            // A sparse hole: the file is 2 GiB long on paper and takes a few KiB of disk.
            file.Seek(padding, SeekOrigin.Current);
            Span<byte> tail = stackalloc byte[12];
            BinaryPrimitives.WriteSingleLittleEndian(tail, 1.5f);
            BinaryPrimitives.WriteSingleLittleEndian(tail[4..], -2f);
            BinaryPrimitives.WriteSingleLittleEndian(tail[8..], 3.25f);
            file.Write(tail);
        }

        new FileInfo(path).Length.Should().BeGreaterThan(int.MaxValue);
        using var content = SafeTensorsFile.Open(path);
        using var tensor = content.Load("tail");
        tensor.data<float>().ToArray().Should().Equal(1.5f, -2f, 3.25f);
    }
}

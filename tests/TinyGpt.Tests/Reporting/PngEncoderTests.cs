using System.Text;
using TinyGpt.Reporting;

namespace TinyGpt.Tests.Reporting;

public class PngEncoderTests
{
    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        Crc32.Compute(Encoding.ASCII.GetBytes("123456789")).Should().Be(0xCBF43926u);
        Crc32.Compute([]).Should().Be(0u);
        Crc32.Compute(Encoding.ASCII.GetBytes("IEND")).Should().Be(0xAE426082u);
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(7, 5, false)]
    [InlineData(33, 17, true)]
    [InlineData(1, 300, true)]
    public void Pixels_round_trip_through_an_independent_decoder(int width, int height, bool alpha)
    {
        var format = alpha ? PngPixelFormat.Rgba : PngPixelFormat.Rgb;
        var pixels = new byte[width * height * PngEncoder.Channels(format)];
        new Random(width * 1000 + height).NextBytes(pixels);

        var png = PngTestDecoder.Decode(PngEncoder.Encode(width, height, pixels, format));

        png.Width.Should().Be(width);
        png.Height.Should().Be(height);
        png.ColorType.Should().Be((int)format);
        png.Chunks.Should().Equal("IHDR", "IDAT", "IEND");
        png.Pixels.Should().Equal(pixels);
    }

    [Fact]
    public void Wrong_pixel_count_or_size_is_rejected()
    {
        var act = () => PngEncoder.Encode(2, 2, new byte[11], PngPixelFormat.Rgb);
        act.Should().Throw<ArgumentException>().WithMessage("*12 bytes*");
        act = () => PngEncoder.Encode(2, 2, new byte[12], PngPixelFormat.Rgba);
        act.Should().Throw<ArgumentException>().WithMessage("*16 bytes*");
        act = () => PngEncoder.Encode(0, 2, [], PngPixelFormat.Rgb);
        act.Should().Throw<ArgumentOutOfRangeException>();
        act = () => PngEncoder.Encode(2, 2, new byte[12], (PngPixelFormat)3);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}

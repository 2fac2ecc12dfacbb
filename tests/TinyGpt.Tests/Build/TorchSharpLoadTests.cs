using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Build;

public class TorchSharpLoadTests
{
    [Fact]
    public void TorchSharp_loads_its_native_library_and_computes_in_the_test_host()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        var product = a.matmul(a);
        product.data<float>().ToArray().Should().Equal(7, 10, 15, 22);
        torch.__version__.Should().StartWith("2.10");
    }
}

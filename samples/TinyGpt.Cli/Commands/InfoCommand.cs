using System.CommandLine;
using System.Runtime.InteropServices;
using TinyGpt.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt info</c>: proves TorchSharp's native library loads and computes here, and says what it found.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Check that TorchSharp loads and computes on this machine; print versions and devices.");
        command.SetAction(_ => CliErrors.RunAsync(() =>
        {
            using var scope = NewDisposeScope();
            var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
            var product = a.matmul(a).data<float>().ToArray();
            var ok = product.SequenceEqual([7f, 10f, 15f, 22f]);
            Console.WriteLine($"TinyGpt {typeof(TinyGpt.Modeling.GptModel).Assembly.GetName().Version}");
            Console.WriteLine($"TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch {torch.__version__}");
            Console.WriteLine($".NET {RuntimeInformation.FrameworkDescription} on {RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture})");
            Console.WriteLine($"CPU threads: {torch.get_num_threads()}; CUDA available: {torch.cuda.is_available()}");
            Console.WriteLine($"native heap: {(NativeHeap.ReusesFreedMemory ? "reuses freed memory (GLIBC_TUNABLES)" : "the C library's defaults")}");
            Console.WriteLine($"matmul check: {(ok ? "ok" : "WRONG RESULT")}");
            return Task.FromResult(ok ? 0 : 1);
        }));
        return command;
    }
}

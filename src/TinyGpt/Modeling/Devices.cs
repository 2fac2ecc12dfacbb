using System.Globalization;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>Turns a device name (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>) into a TorchSharp device, with a clear error when it cannot be used here.</summary>
public static partial class Devices
{
    /// <summary>The device named <paramref name="name"/>, checked to be usable in this process.</summary>
    /// <exception cref="ArgumentException">The name is not a device, or CUDA was asked for and this process cannot use it (the message says what to install).</exception>
    public static Device Resolve(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var match = DeviceName().Match(name.Trim());
        if (!match.Success)
        {
            throw new ArgumentException($"'{name}' is not a device: use cpu, cuda or cuda:N.", nameof(name));
        }

        if (match.Groups["type"].Value.Equals("cpu", StringComparison.OrdinalIgnoreCase))
        {
            return torch.CPU;
        }

        bool available;
        try
        {
            available = torch.cuda.is_available();
        }
        catch (InvalidOperationException)
        {
            // TorchSharp throws here when no CUDA build of libtorch is loaded.
            available = false;
        }

        if (!available)
        {
            throw new ArgumentException(
                $"Device '{name}' was asked for, but this process runs TorchSharp's CPU backend (or finds no NVIDIA GPU). " +
                "To use a GPU, reference the CUDA backend in your application instead of libtorch-cpu-*: TorchSharp-cuda-linux or " +
                "TorchSharp-cuda-windows 0.107.0 (the libtorch-cuda-12.8 packages), install an NVIDIA driver for CUDA 12.8, " +
                "and check with 'tinygpt info' that CUDA is available. Otherwise use the device cpu.",
                nameof(name));
        }

        var index = match.Groups["index"].Success ? int.Parse(match.Groups["index"].Value, CultureInfo.InvariantCulture) : 0;
        if (index >= torch.cuda.device_count())
        {
            throw new ArgumentException($"Device '{name}' does not exist: this machine has {torch.cuda.device_count()} CUDA device(s), numbered from 0.", nameof(name));
        }

        return torch.device(name.Trim().ToLowerInvariant());
    }

    [GeneratedRegex(@"^(?<type>cpu|cuda)(:(?<index>\d+))?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DeviceName();
}

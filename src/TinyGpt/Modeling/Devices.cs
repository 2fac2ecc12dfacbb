using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>Turns a device name (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>) into a TorchSharp device, with a clear error when it cannot be used here.</summary>
public static class Devices
{
    /// <summary>The device named <paramref name="name"/>, checked to be usable in this process.</summary>
    /// <exception cref="ArgumentException">The name is not a device, or CUDA was asked for and this process cannot use it (the message says what to install).</exception>
    public static Device Resolve(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Device device;
        try
        {
            device = torch.device(name);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"'{name}' is not a device: use cpu, cuda or cuda:N. ({ex.Message})", nameof(name), ex);
        }

        if (device.type == DeviceType.CPU)
        {
            return device;
        }

        if (device.type != DeviceType.CUDA)
        {
            throw new ArgumentException($"Device '{name}' is not supported: TinyGpt trains and generates on cpu or cuda.", nameof(name));
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

        if (device.index >= torch.cuda.device_count())
        {
            throw new ArgumentException($"Device '{name}' does not exist: this machine has {torch.cuda.device_count()} CUDA device(s), numbered from 0.", nameof(name));
        }

        return device;
    }
}

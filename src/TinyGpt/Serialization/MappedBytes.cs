using System.IO.MemoryMappedFiles;

namespace TinyGpt.Serialization;

/// <summary>Read-only spans over a memory-mapped file, at any offset (a span itself holds at most 2 GiB).</summary>
internal sealed unsafe class MappedBytes
{
    private readonly byte* _start;

    public MappedBytes(MemoryMappedViewAccessor view, long length)
    {
        // The view stays mapped for as long as the content that holds it; the pointer is released with it.
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _start = pointer + view.PointerOffset;
        Length = length;
        View = view;
    }

    public long Length { get; }

    public MemoryMappedViewAccessor View { get; }

    public ReadOnlySpan<byte> Span(long offset, int count)
    {
        if (offset < 0 || count < 0 || offset + count > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes [{offset}, {offset + count}) are outside the file's {Length}.");
        }

        return new ReadOnlySpan<byte>(_start + offset, count);
    }

    public void Release() => View.SafeMemoryMappedViewHandle.ReleasePointer();
}

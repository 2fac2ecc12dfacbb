namespace TinyGpt.Tests.Training;

/// <summary>
/// A thread that collects garbage and runs finalizers back to back until disposed, so that a
/// native object nobody owns is freed while the native call that reads it is still running.
/// </summary>
internal sealed class GarbageCollectionPressure : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;

    public GarbageCollectionPressure()
    {
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        })
        { IsBackground = true, Name = "gc-pressure" };
        _thread.Start();
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}

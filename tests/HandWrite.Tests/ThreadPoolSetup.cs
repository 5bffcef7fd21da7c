using System.Runtime.CompilerServices;

namespace HandWrite.Tests;

internal static class ThreadPoolSetup
{
    /// <summary>
    /// xunit runs test classes side by side, and many hold a pool thread while PowerShell or Core works on another;
    /// past its minimum the pool adds threads slowly (about one a second), so loopback servers and timers in other
    /// tests can wait seconds for one. Room for all of them keeps timeouts under test about the timeouts.
    /// </summary>
    [ModuleInitializer]
    internal static void GiveTheThreadPoolRoom()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }
}

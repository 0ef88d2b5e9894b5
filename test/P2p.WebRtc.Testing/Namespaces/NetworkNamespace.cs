using System.Diagnostics;
using System.Runtime.InteropServices;

namespace P2p.WebRtc.Testing.Namespaces;

/// <summary>
/// A named Linux network namespace the test creates (<c>ip netns add</c>) and deletes, with its loopback up, a way
/// to run <c>ip</c> inside it, and one dedicated thread that entered it with <c>setns()</c>: sockets created by
/// <see cref="Invoke{T}"/> live in the namespace whatever thread uses them afterwards. Needs root and iproute2
/// (<see cref="IsSupported"/>); works from inside another namespace (as ./test.sh runs the suite).
/// </summary>
/// <remarks>
/// The namespace thread runs only what <see cref="Invoke{T}"/> gives it, synchronously, and hands results back
/// without queuing work to the thread pool: a pool thread started from it would inherit the namespace.
/// </remarks>
public sealed class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private static int s_counter;
    private readonly Thread _thread;
    private readonly Lock _sync = new();
    private readonly Queue<Action> _work = new();
    private readonly SemaphoreSlim _pending = new(0);
    private bool _disposed;

    private NetworkNamespace(string name)
    {
        Name = name;
        using var entered = new ManualResetEventSlim();
        Exception? error = null;
        _thread = new Thread(() => Run(entered, ref error)) { IsBackground = true, Name = "netns " + name };
        _thread.Start();
        entered.Wait();
        if (error is not null)
        {
            throw new InvalidOperationException($"Cannot enter the network namespace {name}.", error);
        }
    }

    /// <summary>The namespace's name (under /run/netns).</summary>
    public string Name { get; }

    /// <summary>True when namespaces can be created here: Linux, root, iproute2.</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess && (File.Exists("/usr/sbin/ip") || File.Exists("/sbin/ip") || File.Exists("/usr/bin/ip"));

    /// <summary>Creates a namespace named <c>&lt;prefix&gt;-&lt;pid&gt;-&lt;n&gt;</c> with <c>lo</c> up.</summary>
    /// <param name="prefix">A short prefix.</param>
    /// <returns>The namespace; dispose it to delete it.</returns>
    public static NetworkNamespace Create(string prefix)
    {
        var name = $"{prefix}-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";
        RunIp("netns", "add", name);
        try
        {
            RunIp("-n", name, "link", "set", "lo", "up");
            return new NetworkNamespace(name);
        }
        catch
        {
            RunIp("netns", "del", name);
            throw;
        }
    }

    /// <summary>Runs <c>ip -n NAME args…</c> (throws with ip's message when it fails).</summary>
    /// <param name="args">The arguments after <c>ip -n NAME</c>.</param>
    public void Ip(params string[] args) => RunIp(["-n", Name, .. args]);

    /// <summary>Runs <paramref name="function"/> on the thread inside the namespace and returns its result (or throws its exception).</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">Quick, synchronous work: create a socket, bind it, list interfaces.</param>
    /// <returns>The result.</returns>
    public T Invoke<T>(Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        T result = default!;
        Exception? error = null;
        using var done = new ManualResetEventSlim();
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _work.Enqueue(() =>
            {
                try
                {
                    result = function();
                }
                catch (Exception e)
                {
                    error = e;
                }

                done.Set();
            });
        }

        _pending.Release();
        done.Wait();
        return error is null ? result : throw new InvalidOperationException($"Failed inside the network namespace {Name}: {error.Message}", error);
    }

    /// <summary>A shell command that runs <paramref name="executable"/> inside the namespace (for a wrapper script).</summary>
    /// <param name="executable">The program's path.</param>
    /// <returns><c>ip netns exec NAME executable</c>.</returns>
    public string ExecPrefix(string executable) => $"ip netns exec {Name} {executable}";

    /// <summary>Stops the thread and deletes the namespace (interfaces inside it go with it).</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _pending.Release();
        _thread.Join();
        _pending.Dispose();
        try
        {
            RunIp("netns", "del", Name);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <summary>Runs <c>ip args…</c>.</summary>
    /// <param name="args">The arguments.</param>
    public static void RunIp(params string[] args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Cannot start ip.");
        var stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Trim()}");
        }
    }

    // DllImport rather than LibraryImport: the latter needs unsafe code, which the project does not allow.
#pragma warning disable SYSLIB1054, CA5392, CA1401
    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);
#pragma warning restore SYSLIB1054, CA5392, CA1401

    private void Run(ManualResetEventSlim entered, ref Exception? error)
    {
        try
        {
            using var handle = File.OpenHandle($"/run/netns/{Name}");
            if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
            {
                throw new InvalidOperationException($"setns failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        catch (Exception e)
        {
            error = e;
            entered.Set();
            return;
        }

        entered.Set();
        while (true)
        {
            _pending.Wait();
            Action? work;
            lock (_sync)
            {
                if (!_work.TryDequeue(out work) && _disposed)
                {
                    return;
                }
            }

            work?.Invoke();
        }
    }
}

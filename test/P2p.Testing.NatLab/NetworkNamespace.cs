using System.Globalization;

namespace P2p.Testing.NatLab;

/// <summary>
/// A named Linux network namespace (<c>ip netns add</c>) that this process created and deletes on
/// <see cref="Dispose"/>. Commands run in it through <c>ip netns exec</c>; code runs in it on a dedicated thread that
/// has entered it (<see cref="Run{T}"/>), which is how the lab creates sockets inside a namespace while every peer
/// stays in this process.
/// </summary>
/// <remarks>
/// Names start with <see cref="Prefix"/> and this process's id, so <see cref="DeleteStale"/> can remove what a
/// crashed earlier run left behind without touching another live run's namespaces.
/// </remarks>
public sealed class NetworkNamespace : IDisposable
{
    /// <summary>The prefix of every namespace the lab creates.</summary>
    public const string Prefix = "p2pnl-";

    private readonly Lock _sync = new();
    private NamespaceThread? _thread;
    private bool _disposed;

    private NetworkNamespace(string name)
    {
        Name = name;
    }

    /// <summary>The namespace's name (<c>ip netns list</c>).</summary>
    public string Name { get; }

    /// <summary>The prefix of this process's namespaces: <c>p2pnl-PID-</c>.</summary>
    public static string ProcessPrefix { get; } = Prefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-";

    /// <summary>Creates a namespace named <see cref="ProcessPrefix"/> + <paramref name="suffix"/>, with <c>lo</c> up and IPv6 off.</summary>
    /// <param name="suffix">The rest of the name (letters, digits, dashes).</param>
    /// <returns>The namespace.</returns>
    /// <exception cref="InvalidOperationException"><c>ip</c> is missing or failed.</exception>
    public static NetworkNamespace Create(string suffix)
    {
        var name = ProcessPrefix + suffix;
        LabCommand.Run(LabTools.Ip, "netns", "add", name);
        var ns = new NetworkNamespace(name);
        try
        {
            ns.Ip("link", "set", "lo", "up");

            // IPv4 only: no IPv6 link-local addresses on the lab's links, so every candidate is one the test planned.
            ns.Sysctl("net.ipv6.conf.all.disable_ipv6", "1");
            ns.Sysctl("net.ipv6.conf.default.disable_ipv6", "1");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Deletes lab namespaces left by processes that no longer exist (a crashed or killed earlier run), after stopping
    /// the processes still running inside them (the dead run's coturn).
    /// </summary>
    /// <returns>The names deleted.</returns>
    public static IReadOnlyList<string> DeleteStale()
    {
        var deleted = new List<string>();
        if (!System.IO.Directory.Exists(LinuxNetworkNamespaces.Directory))
        {
            return deleted;
        }

        foreach (var path in System.IO.Directory.GetFiles(LinuxNetworkNamespaces.Directory, Prefix + "*"))
        {
            var name = Path.GetFileName(path);
            var pid = name[Prefix.Length..].Split('-')[0];
            if (int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out _) && !System.IO.Directory.Exists("/proc/" + pid))
            {
                // What the dead run started in it (its coturn) outlived it: stop that first, by process id.
                var (_, pids, _) = LabCommand.TryRun(LabTools.Ip, null, "netns", "pids", name);
                foreach (var line in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var orphan))
                    {
                        KillQuietly(orphan);
                    }
                }

                LabCommand.TryRun(LabTools.Ip, null, "netns", "del", name);
                deleted.Add(name);
            }
        }

        return deleted;
    }

    private static void KillQuietly(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit(5000);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // already gone
        }
    }

    /// <summary>Runs <c>ip -n NAME ARGS</c>.</summary>
    /// <param name="arguments">The <c>ip</c> arguments, e.g. <c>addr add 198.18.0.1/24 dev br0</c> as separate elements.</param>
    /// <returns>Standard output.</returns>
    public string Ip(params string[] arguments) => LabCommand.Run(LabTools.Ip, ["-n", Name, .. arguments]);

    /// <summary>Runs a program inside the namespace (<c>ip netns exec NAME FILE ARGS</c>).</summary>
    /// <param name="file">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <returns>Standard output.</returns>
    public string Exec(string file, params string[] arguments) => LabCommand.Run(LabTools.Ip, ["netns", "exec", Name, file, .. arguments]);

    /// <summary>Runs a program inside the namespace with <paramref name="input"/> on its standard input.</summary>
    /// <param name="input">Standard input.</param>
    /// <param name="file">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <returns>Standard output.</returns>
    public string ExecWithInput(string input, string file, params string[] arguments) =>
        LabCommand.RunWithInput(LabTools.Ip, input, ["netns", "exec", Name, file, .. arguments]);

    /// <summary>The arguments of <c>ip</c> that run a program inside the namespace: <c>netns exec NAME FILE ARGS</c>.</summary>
    /// <param name="file">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <returns>The arguments, to start <see cref="LabTools.Ip"/> with (e.g. as a long-running child process).</returns>
    public IReadOnlyList<string> ExecArguments(string file, params IEnumerable<string> arguments) => ["netns", "exec", Name, file, .. arguments];

    /// <summary>A shell command line that runs <paramref name="executable"/> inside the namespace (for a wrapper script).</summary>
    /// <param name="executable">The program's path (no spaces).</param>
    /// <returns><c>/usr/sbin/ip netns exec NAME executable</c>.</returns>
    public string ExecPrefix(string executable) => $"{LabTools.Ip} netns exec {Name} {executable}";

    /// <summary>Sets a per-namespace sysctl (e.g. <c>net.ipv4.ip_forward</c>) by writing /proc/sys from inside the namespace.</summary>
    /// <param name="key">The dotted key.</param>
    /// <param name="value">The value.</param>
    public void Sysctl(string key, string value) =>
        Run(() =>
        {
            // /proc/sys/net is the writing thread's network namespace: the namespace thread's.
            File.WriteAllText("/proc/sys/" + key.Replace('.', '/'), value);
            return true;
        });

    /// <summary>Runs <paramref name="work"/> on this namespace's thread and returns its result; sockets it creates belong to the namespace.</summary>
    /// <param name="work">Synchronous work (no <c>await</c> inside: it would continue outside the namespace).</param>
    /// <returns>What <paramref name="work"/> returned.</returns>
    public T Run<T>(Func<T> work) => Thread().Run(work);

    /// <summary>Runs <paramref name="work"/> on this namespace's thread without blocking the caller.</summary>
    /// <param name="work">Synchronous work.</param>
    /// <returns>What <paramref name="work"/> returned.</returns>
    public Task<T> RunAsync<T>(Func<T> work) => Thread().RunAsync(work);

    /// <summary>Ends the namespace thread and deletes the namespace (sockets still open in it keep it alive until closed).</summary>
    public void Dispose()
    {
        NamespaceThread? thread;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            thread = _thread;
            _thread = null;
        }

        thread?.Dispose();
        LabCommand.TryRun(LabTools.Ip, null, "netns", "del", Name);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private NamespaceThread Thread()
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _thread ??= new NamespaceThread(Name);
        }
    }
}

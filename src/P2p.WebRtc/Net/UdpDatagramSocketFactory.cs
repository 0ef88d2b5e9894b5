using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace P2p.WebRtc.Net;

/// <summary>
/// The machine's UDP stack as an <see cref="IDatagramSocketFactory"/>: the addresses of its network
/// interfaces, and UDP sockets with large kernel buffers and a dedicated receive thread each.
/// </summary>
/// <remarks>
/// The interface addresses are read from the operating system at most every <see cref="AddressListLifetime"/> per
/// network namespace: a process forming many connections at once (a 32-member mesh in one process gathers ~1,000
/// times) would otherwise spend a twentieth of its CPU enumerating interfaces.
/// </remarks>
/// <param name="bufferSize">SO_RCVBUF and SO_SNDBUF asked for on every socket (Linux caps them at net.core.rmem_max / wmem_max).</param>
/// <param name="logger">Where the sockets log; nothing when <see langword="null"/>.</param>
public sealed class UdpDatagramSocketFactory(int bufferSize = UdpDatagramSocketFactory.DefaultBufferSize, ILogger? logger = null) : IDatagramSocketFactory
{
    /// <summary>The default socket buffer size: 4 MiB (default buffers lose 23–42 % of a loopback burst).</summary>
    public const int DefaultBufferSize = 4 * 1024 * 1024;

    /// <summary>How long one reading of the interface addresses is reused.</summary>
    public static readonly TimeSpan AddressListLifetime = TimeSpan.FromMilliseconds(250);

    private const int MaxCachedNamespaces = 16;
    private static readonly Lock CacheLock = new();
    private static readonly Dictionary<string, (IPAddress[] Addresses, long ReadAt)> Cache = new(StringComparer.Ordinal);

    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <inheritdoc/>
    public IReadOnlyList<IPAddress> GetLocalAddresses()
    {
        // Per network namespace of the calling thread: a thread may have entered another one (Linux setns).
        var key = NetworkNamespaceOfThisThread();
        var now = Environment.TickCount64;
        lock (CacheLock)
        {
            if (Cache.TryGetValue(key, out var cached) && now - cached.ReadAt < (long)AddressListLifetime.TotalMilliseconds)
            {
                return cached.Addresses;
            }
        }

        var addresses = ReadLocalAddresses();
        lock (CacheLock)
        {
            if (Cache.Count >= MaxCachedNamespaces)
            {
                Cache.Clear();
            }

            Cache[key] = (addresses, now);
        }

        return addresses;
    }

    /// <summary>The network namespace the calling thread is in ("net:[inode]" on Linux; empty elsewhere).</summary>
    private static string NetworkNamespaceOfThisThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return string.Empty;
        }

        try
        {
            return new FileInfo("/proc/thread-self/ns/net").LinkTarget ?? string.Empty;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static IPAddress[] ReadLocalAddresses()
    {
        var all = new List<IPAddress>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            // Linux reports loopback as "Unknown" rather than "Up".
            if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown))
            {
                continue;
            }

            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                var a = unicast.Address;
                if (a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 && !all.Contains(a))
                {
                    all.Add(a);
                }
            }
        }

        return [.. all];
    }

    /// <inheritdoc/>
    public IDatagramSocket Bind(IPAddress localAddress)
    {
        ArgumentNullException.ThrowIfNull(localAddress);
        return new UdpSocketEndpoint(localAddress, bufferSize, _logger);
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace P2p.WebRtc.Net;

/// <summary>
/// One UDP socket bound to one local address with large kernel buffers and a dedicated receive
/// thread doing blocking, allocation-free <c>ReceiveFrom(Span, SocketFlags, SocketAddress)</c>
/// (measured here: ~330 MB/s vs ~210 MB/s for the async API). Sends are blocking <c>SendTo</c>
/// with a caller-cached <see cref="SocketAddress"/>. Dispose closes the socket and joins the thread.
/// </summary>
internal sealed class UdpSocketEndpoint : IDatagramSocket
{
    /// <summary>
    /// The largest datagram received; larger ones are dropped (and logged). WebRTC peers keep their
    /// datagrams within the path MTU (SCTP over DTLS, RFC 8261 §5; Chromium sends at most ~1,200
    /// bytes), so 16 KiB covers even jumbo frames while an idle connection holds 48 KiB less than a
    /// buffer for the 64 KiB UDP maximum would.
    /// </summary>
    internal const int MaxDatagramSize = 16 * 1024;

    // One byte more than the largest datagram: the kernel truncates a longer datagram to the buffer
    // without .NET reporting it, so a full buffer is how a too-long datagram shows.
    private const int ReceiveBufferSize = MaxDatagramSize + 1;
    private readonly Socket _socket;
    private readonly ILogger _logger;
    private Thread? _thread;
    private DatagramSocketReceiveHandler? _handler;
    private volatile bool _closed;

    /// <summary>Binds a socket to <paramref name="localAddress"/> on an ephemeral port.</summary>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public UdpSocketEndpoint(IPAddress localAddress, int bufferSize, ILogger logger)
    {
        _logger = logger;
        _socket = new Socket(localAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localAddress.AddressFamily == AddressFamily.InterNetworkV6)
            {
                _socket.DualMode = false;
            }

            TrySetBuffers(bufferSize);
            _socket.Bind(new IPEndPoint(localAddress, 0));
            LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    /// <summary>The bound address and port.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The receive thread (for tests: it must be gone after disposal).</summary>
    public Thread? ReceiveThread => _thread;

    /// <summary>Datagrams that could not be sent (a full buffer, an unreachable network).</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    private long _sendErrors;

    /// <summary>Datagrams dropped because they were larger than <see cref="MaxDatagramSize"/>.</summary>
    public long OversizedDatagrams => Interlocked.Read(ref _oversizedDatagrams);

    private long _oversizedDatagrams;

    /// <summary>Starts the receive thread.</summary>
    public void Start(DatagramSocketReceiveHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_thread is not null)
        {
            throw new InvalidOperationException("The socket is already started.");
        }

        _handler = handler;
        _thread = new Thread(ReceiveLoop)
        {
            IsBackground = true,
            Name = $"P2p UDP {LocalEndPoint}",
        };
        _thread.Start();
    }

    /// <summary>Sends a datagram; returns false (and counts it) when the OS refused it. Throws <see cref="ObjectDisposedException"/> once closed.</summary>
    public bool Send(ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, remote);
            return true;
        }
        catch (SocketException e)
        {
            Interlocked.Increment(ref _sendErrors);
            _logger.LogDebug("UDP send from {Local} failed: {Error}", LocalEndPoint, e.SocketErrorCode);
            return false;
        }
    }

    public void Dispose()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // not connected: fine, closing below unblocks the receive
        }

        _socket.Dispose();
        if (_thread is { } t && t != Thread.CurrentThread && !t.Join(TimeSpan.FromSeconds(5)))
        {
            _logger.LogWarning("UDP receive thread for {Local} did not stop within 5 s", LocalEndPoint);
        }
    }

    private void TrySetBuffers(int size)
    {
        try
        {
            _socket.ReceiveBufferSize = size;
            _socket.SendBufferSize = size;

            // Linux silently caps at net.core.rmem_max / wmem_max (often 208 KiB) and reports twice what
            // it granted; a small receive buffer loses bursts of a bulk transfer (SCTP then retransmits).
            var granted = _socket.ReceiveBufferSize;
            if (granted < size)
            {
                _logger.LogDebug("UDP receive buffer is {Granted} bytes, not the {Size} asked for (raise net.core.rmem_max)", granted, size);
            }
        }
        catch (SocketException e)
        {
            _logger.LogWarning("Cannot set UDP buffers to {Size} bytes: {Error}", size, e.SocketErrorCode);
        }
    }

    private void ReceiveLoop()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);
        var family = LocalEndPoint.AddressFamily;
        var remote = new SocketAddress(family, SocketAddress.GetMaximumAddressSize(family));
        var handler = _handler!;
        while (!_closed)
        {
            int received;
            try
            {
                received = _socket.ReceiveFrom(buffer, SocketFlags.None, remote);
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e)
            {
                if (_closed)
                {
                    break;
                }

                // ICMP-triggered errors (port unreachable, message too long) are per datagram: keep going.
                _logger.LogDebug("UDP receive on {Local}: {Error}", LocalEndPoint, e.SocketErrorCode);
                continue;
            }

            if (_closed)
            {
                break;
            }

            if (received > MaxDatagramSize)
            {
                // Truncated by the kernel: dropped whole, never delivered cut short.
                var count = Interlocked.Increment(ref _oversizedDatagrams);
                _logger.Log(
                    count == 1 ? LogLevel.Warning : LogLevel.Debug,
                    "UDP receive on {Local}: dropped a datagram longer than {Max} bytes from {Remote}",
                    LocalEndPoint,
                    MaxDatagramSize,
                    remote);
                continue;
            }

            try
            {
                handler(buffer.AsSpan(0, received), remote);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Datagram handler failed on {Local}; the datagram was dropped", LocalEndPoint);
            }
        }
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace P2p.WebRtc.Mdns;

/// <summary>
/// One UDP socket of one address family for mDNS: bound to port 5353 with address reuse (so it coexists with the
/// system's responder and browsers), or to an ephemeral port when 5353 cannot be shared (then queries are
/// one-shot "legacy" ones, RFC 6762 §6.7); joined to the group on chosen interfaces; a receive loop hands each
/// datagram to a handler. Multicast goes out with TTL/hop limit 255 (RFC 6762 §11) and is looped back to this host.
/// </summary>
internal sealed class MdnsSocket : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly IMdnsSocketFactory _factory;
    private readonly ILogger _logger;
    private readonly Lock _sendLock = new();
    private readonly HashSet<IPAddress> _joined = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _receiveLoop = Task.CompletedTask;

    private MdnsSocket(Socket socket, IMdnsSocketFactory factory, ILogger logger)
    {
        _socket = socket;
        _factory = factory;
        _logger = logger;
        Family = socket.AddressFamily;
        Group = new IPEndPoint(MdnsEndPoints.GroupOf(Family), MdnsEndPoints.Port);
        LocalPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>The address family.</summary>
    public AddressFamily Family { get; }

    /// <summary>The group and port of the family.</summary>
    public IPEndPoint Group { get; }

    /// <summary>The bound port: 5353, or an ephemeral one when 5353 could not be shared.</summary>
    public int LocalPort { get; }

    /// <summary>Opens a socket, or returns <see langword="null"/> (logged) when the family is not available.</summary>
    public static MdnsSocket? TryOpen(IMdnsSocketFactory factory, AddressFamily family, bool requirePort5353, ILogger logger)
    {
        Socket? socket = null;
        try
        {
            socket = factory.CreateSocket(family);
            if (family == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            var any = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
            try
            {
                socket.Bind(new IPEndPoint(any, MdnsEndPoints.Port));
            }
            catch (SocketException e) when (!requirePort5353)
            {
                logger.LogDebug("mDNS: port 5353 ({Family}) is not shareable ({Error}); one-shot queries from an ephemeral port", family, e.SocketErrorCode);
                socket.Dispose();
                socket = factory.CreateSocket(family);
                if (family == AddressFamily.InterNetworkV6)
                {
                    socket.DualMode = false;
                }

                socket.Bind(new IPEndPoint(any, 0));
            }

            var level = family == AddressFamily.InterNetworkV6 ? SocketOptionLevel.IPv6 : SocketOptionLevel.IP;
            socket.SetSocketOption(level, SocketOptionName.MulticastTimeToLive, 255);
            socket.SetSocketOption(level, SocketOptionName.MulticastLoopback, true);
            return new MdnsSocket(socket, factory, logger);
        }
        catch (Exception e) when (e is SocketException or NotSupportedException)
        {
            logger.LogDebug("mDNS: no {Family} socket: {Error}", family, e.Message);
            socket?.Dispose();
            return null;
        }
    }

    /// <summary>Joins the group on the interface of <paramref name="localAddress"/> (<see langword="null"/>: the system's default interface). False (logged) on failure.</summary>
    public bool Join(IPAddress? localAddress)
    {
        var key = localAddress ?? (Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any);
        lock (_sendLock)
        {
            if (_joined.Contains(key))
            {
                return true;
            }

            try
            {
                if (Family == AddressFamily.InterNetworkV6)
                {
                    var index = localAddress is null ? 0 : _factory.GetInterfaceIndex(localAddress);
                    _socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(Group.Address, index));
                }
                else
                {
                    _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(Group.Address, localAddress ?? IPAddress.Any));
                }

                _joined.Add(key);
                return true;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                _joined.Add(key); // another address of the same interface joined already
                return true;
            }
            catch (SocketException e)
            {
                _logger.LogDebug("mDNS: cannot join {Group} on {Interface}: {Error}", Group.Address, localAddress, e.SocketErrorCode);
                return false;
            }
        }
    }

    /// <summary>Starts the receive loop; <paramref name="handler"/> gets each datagram and its source, one at a time.</summary>
    public void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> handler) => _receiveLoop = Task.Run(() => ReceiveLoopAsync(handler));

    /// <summary>Sends to the group out of the interface of <paramref name="localAddress"/> (<see langword="null"/>: the system's choice). False (logged) on failure.</summary>
    public bool SendMulticast(byte[] message, IPAddress? localAddress)
    {
        lock (_sendLock)
        {
            try
            {
                if (localAddress is not null)
                {
                    if (Family == AddressFamily.InterNetworkV6)
                    {
                        _socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, _factory.GetInterfaceIndex(localAddress));
                    }
                    else
                    {
                        _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, localAddress.GetAddressBytes());
                    }
                }

                _socket.SendTo(message, Group);
                return true;
            }
            catch (SocketException e)
            {
                _logger.LogDebug("mDNS: cannot send to {Group} via {Interface}: {Error}", Group.Address, localAddress, e.SocketErrorCode);
                return false;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <summary>Sends a unicast datagram (a reply to a QU question or a one-shot query).</summary>
    public void SendTo(byte[] message, IPEndPoint destination)
    {
        lock (_sendLock)
        {
            try
            {
                _socket.SendTo(message, destination);
            }
            catch (SocketException e)
            {
                _logger.LogDebug("mDNS: cannot send to {Destination}: {Error}", destination, e.SocketErrorCode);
            }
            catch (ObjectDisposedException)
            {
                // closing
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await _receiveLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopped
        }

        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync(Action<ReadOnlyMemory<byte>, IPEndPoint> handler)
    {
        var buffer = new byte[DnsMessage.MaxSize];
        EndPoint any = new IPEndPoint(Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException e)
            {
                _logger.LogDebug("mDNS: receive error {Error}", e.SocketErrorCode);
                continue;
            }

            try
            {
                handler(buffer.AsMemory(0, result.ReceivedBytes), (IPEndPoint)result.RemoteEndPoint);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "mDNS: handling a datagram from {Source} failed", result.RemoteEndPoint);
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace P2p.Testing;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a server (e.g. the signaling server) that fails like a network: it can cut
/// every connection with a reset (<see cref="Drop"/>: no WebSocket close handshake on either side) or silently stop
/// carrying bytes on them (<see cref="Stall"/>: only keep-alive timeouts notice), and refuses new connections until
/// <see cref="Restore"/>.
/// </summary>
public sealed class FaultyTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private volatile IPEndPoint _target;
    private readonly ConcurrentDictionary<Link, bool> _links = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private volatile bool _down;

    /// <summary>Starts a proxy to <paramref name="target"/>'s port on 127.0.0.1.</summary>
    /// <param name="target">The server's endpoint (only its port is used).</param>
    public FaultyTcpProxy(Uri target)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = new IPEndPoint(IPAddress.Loopback, target.Port);
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    /// <summary>The proxy's WebSocket endpoint, <c>ws://127.0.0.1:PORT/</c>.</summary>
    public Uri Uri => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>Resets every connection, and resets new ones until <see cref="Restore"/>.</summary>
    public void Drop()
    {
        _down = true;
        foreach (var link in _links.Keys)
        {
            link.Reset();
        }
    }

    /// <summary>The open connections carry nothing more (they stay open: silent peers); new ones are reset until <see cref="Restore"/>.</summary>
    public void Stall()
    {
        _down = true;
        foreach (var link in _links.Keys)
        {
            link.Stalled = true;
        }
    }

    /// <summary>Sends new connections to another server from now on (as a load balancer fails over); open ones stay where they are.</summary>
    /// <param name="target">The other server's endpoint (only its port is used).</param>
    public void Retarget(Uri target)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = new IPEndPoint(IPAddress.Loopback, target.Port);
    }

    /// <summary>Lets new connections through again (stalled ones stay stalled).</summary>
    public void Restore() => _down = false;

    /// <summary>Stops the proxy and resets its connections.</summary>
    /// <returns>A task that completes when it has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Drop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Gone already.
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            if (_down)
            {
                Reset(client);
                continue;
            }

            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await server.ConnectAsync(_target, _stop.Token);
            }
            catch (SocketException)
            {
                Reset(client);
                server.Dispose();
                continue;
            }

            var link = new Link(client, server);
            _links[link] = true;
            _ = PumpAsync(link, client, server);
            _ = PumpAsync(link, server, client);
        }
    }

    private async Task PumpAsync(Link link, Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    if (link.HalfClosed())
                    {
                        // Both directions ended cleanly: the connection is over, give its sockets back.
                        link.Close();
                        _links.TryRemove(link, out _);
                    }

                    return;
                }

                if (!link.Stalled)
                {
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            link.Reset();
            _links.TryRemove(link, out _);
        }
    }

    /// <summary>One proxied connection: the client's socket and the one to the server.</summary>
    private sealed class Link(Socket client, Socket server)
    {
        private int _finished;

        public volatile bool Stalled;

        /// <summary>One direction ended; <see langword="true"/> when it was the second.</summary>
        public bool HalfClosed() => Interlocked.Increment(ref _finished) == 2;

        public void Close()
        {
            client.Dispose();
            server.Dispose();
        }

        public void Reset()
        {
            FaultyTcpProxy.Reset(client);
            FaultyTcpProxy.Reset(server);
        }
    }
}

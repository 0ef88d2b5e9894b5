using System.Net;
using System.Net.Sockets;

namespace P2p.Testing;

/// <summary>Free TCP ports on 127.0.0.1 for servers a test starts as child processes.</summary>
public static class LoopbackPort
{
    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it; another process could still take it).</summary>
    /// <returns>The port.</returns>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

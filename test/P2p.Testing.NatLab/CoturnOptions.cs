using System.Net;
using System.Net.Sockets;

namespace P2p.Testing.NatLab;

/// <summary>How to start a <see cref="CoturnProcess"/>.</summary>
public sealed record CoturnOptions
{
    /// <summary>The address coturn listens on and relays from (<c>--listening-ip</c>, <c>--relay-ip</c>).</summary>
    public IPAddress ListeningAddress { get; init; } = IPAddress.Loopback;

    /// <summary>The namespace to run it in (<c>ip netns exec</c>); <see langword="null"/> for this process's own.</summary>
    public NetworkNamespace? Namespace { get; init; }

    /// <summary>The STUN/TURN port over UDP and TCP; 0 picks a free UDP port (outside a namespace only).</summary>
    public int Port { get; init; } = 3478;

    /// <summary>Whether TURN over TCP is offered on <see cref="Port"/>.</summary>
    public bool Tcp { get; init; } = true;

    /// <summary>The TURN-over-TLS port (<c>turns:</c>) with a self-signed certificate made for the run; 0 for no TLS.</summary>
    public int TlsPort { get; init; } = 5349;

    /// <summary>The realm of the long-term credentials.</summary>
    public string Realm { get; init; } = "p2p.test";

    /// <summary>The user name of the long-term credentials (<c>--user</c>).</summary>
    public string Username { get; init; } = "test";

    /// <summary>The password of the long-term credentials.</summary>
    public string Password { get; init; } = "test";

    /// <summary>
    /// The shared secret of the TURN REST scheme (<c>--use-auth-secret --static-auth-secret</c>); when set, clients
    /// authenticate with time-limited credentials made from it (<see cref="TurnRestCredentials"/>) instead of
    /// <see cref="Username"/>/<see cref="Password"/>.
    /// </summary>
    public string? StaticAuthSecret { get; init; }

    /// <summary>The first port of the relay range.</summary>
    public int MinRelayPort { get; init; } = 49160;

    /// <summary>The last port of the relay range.</summary>
    public int MaxRelayPort { get; init; } = 49260;

    /// <summary>Whether peers on 127.0.0.0/8 may be relayed to (<c>--allow-loopback-peers</c>; loopback tests only).</summary>
    public bool AllowLoopbackPeers { get; init; }

    /// <summary>
    /// coturn on 127.0.0.1 for tests outside the lab: free ports (UDP, and with <paramref name="streams"/> the same port
    /// over TCP and a free one for TLS), peers on loopback allowed, user <c>test</c>/<c>test</c> in realm <c>p2p.test</c>.
    /// </summary>
    /// <param name="streams">Also TURN over TCP and TLS.</param>
    /// <returns>The options.</returns>
    public static CoturnOptions Loopback(bool streams = false) => new()
    {
        ListeningAddress = IPAddress.Loopback,
        Port = 0,
        Tcp = streams,
        TlsPort = streams ? FreeTcpPort() : 0,
        AllowLoopbackPeers = true,
    };

    /// <summary>How long to wait for the server to answer a STUN request after starting: 10 s.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    private static int FreeTcpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}

using System.Net;
using P2p.WebRtc.Turn;

namespace P2p.WebRtc.Ice;

/// <summary>The browser-shaped <see cref="RtcIceServer"/> list, checked and split into what the ICE agent uses.</summary>
internal sealed class IceServerSet
{
    private readonly IceServerUrl[] _stun;

    private IceServerSet(IceServerUrl[] stun, TurnServer[] turn)
    {
        _stun = stun;
        TurnServers = turn;
    }

    /// <summary>The TURN servers, one per <c>turn:</c>/<c>turns:</c> URL.</summary>
    public IReadOnlyList<TurnServer> TurnServers { get; }

    /// <summary>Parses and checks every URL (no DNS yet).</summary>
    /// <exception cref="FormatException">A malformed URL.</exception>
    /// <exception cref="ArgumentException">A TURN URL without credentials, or the relay policy without a TURN server.</exception>
    public static IceServerSet Parse(IReadOnlyList<RtcIceServer> servers, IceTransportPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var stun = new List<IceServerUrl>();
        var turn = new List<TurnServer>();
        foreach (var server in servers)
        {
            ArgumentNullException.ThrowIfNull(server, nameof(servers));
            foreach (var url in server.ParseUrls())
            {
                if (url.IsTurn)
                {
                    turn.Add(new TurnServer(url.Host, url.Port, url.Transport, server.Username!, server.Credential!));

                    // A TURN server over UDP answers Binding requests too: it is also a STUN server (as in browsers).
                    if (url.Transport == TurnTransport.Udp)
                    {
                        stun.Add(url);
                    }
                }
                else if (url.Scheme == IceServerScheme.Stun)
                {
                    stun.Add(url);
                }
            }
        }

        if (policy == IceTransportPolicy.Relay && turn.Count == 0)
        {
            throw new ArgumentException("IceTransportPolicy.Relay needs a turn: or turns: server in IceServers.", nameof(servers));
        }

        return new IceServerSet(stun.Distinct().ToArray(), turn.Distinct().ToArray());
    }

    /// <summary>The STUN servers' endpoints; host names are resolved here (an unresolvable one is skipped and reported).</summary>
    public IReadOnlyList<IPEndPoint> ResolveStunServers(Action<IceServerUrl, Exception> onError)
    {
        var result = new List<IPEndPoint>();
        foreach (var url in _stun)
        {
            if (IPAddress.TryParse(url.Host, out var literal))
            {
                result.Add(new IPEndPoint(literal, url.Port));
                continue;
            }

            try
            {
                result.AddRange(Dns.GetHostAddresses(url.Host).Select(a => new IPEndPoint(a, url.Port)).DistinctBy(e => e.AddressFamily));
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or ArgumentException)
            {
                onError(url, e);
            }
        }

        return result.Distinct().ToArray();
    }
}

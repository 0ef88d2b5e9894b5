using P2p.Core.Transport;
using P2p.WebRtc;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Ice;

namespace P2p.Transport.WebRtc;

/// <summary>
/// P2p.Core's transport over P2p.WebRtc: every member pair of a group gets an <see cref="RtcPeerConnection"/>
/// with the group's pre-negotiated data channel (<c>"p2p"</c>, id 0, ordered, reliable).
/// </summary>
/// <example>
/// <code>
/// var transport = new WebRtcPeerConnectionFactory(new WebRtcTransportOptions());
/// await using var group = await Group.JoinAsync(signaling, transport, groupId);
/// </code>
/// </example>
public sealed class WebRtcPeerConnectionFactory : IPeerConnectionFactory
{
    private readonly RtcConfiguration _configuration;
    private readonly WebRtcTransportOptions _options;

    /// <summary>Creates the factory.</summary>
    /// <param name="options">Settings; null for the defaults.</param>
    public WebRtcPeerConnectionFactory(WebRtcTransportOptions? options = null)
    {
        _options = options ?? new WebRtcTransportOptions();
        _configuration = new RtcConfiguration
        {
            IceServers = _options.IceServers,
            AddressFilter = _options.AddressFilter,
            Certificate = _options.Certificate ?? RtcCertificate.Generate(),
            MaxMessageSize = _options.MaxMessageSize,
            Ice = _options.Ice,
            Dtls = _options.Dtls,
            LoggerFactory = _options.LoggerFactory,
        };
    }

    /// <summary>
    /// Which path a connection made by a <see cref="WebRtcPeerConnectionFactory"/> uses: its selected ICE candidate pair
    /// (local and remote candidate, each host, server-reflexive, peer-reflexive or relayed), for diagnostics and tests.
    /// </summary>
    /// <param name="connection">A connection from <see cref="CreateConnection"/>.</param>
    /// <returns>The pair, or <see langword="null"/> before ICE selects one or for a connection of another transport.</returns>
    public static IceCandidatePairInfo? GetSelectedCandidatePair(IPeerConnection connection) =>
        (connection as WebRtcPeerConnection)?.SelectedCandidatePair;

    /// <inheritdoc/>
    public IPeerConnection CreateConnection(PeerConnectionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new WebRtcPeerConnection(new RtcPeerConnection(_configuration), _options, context.Logger);
    }
}

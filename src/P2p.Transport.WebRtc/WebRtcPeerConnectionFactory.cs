using Microsoft.Extensions.Logging;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;
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

    /// <summary>Creates the factory and checks its ICE settings.</summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <exception cref="FormatException">A malformed URL in <see cref="WebRtcTransportOptions.IceServers"/>.</exception>
    /// <exception cref="ArgumentException">
    /// A TURN server without credentials, or <see cref="IceTransportPolicy.Relay"/> without a TURN server in
    /// <see cref="WebRtcTransportOptions.IceServers"/> and without <see cref="WebRtcTransportOptions.IceServersFromSignaling"/>.
    /// </exception>
    public WebRtcPeerConnectionFactory(WebRtcTransportOptions? options = null)
    {
        _options = options ?? new WebRtcTransportOptions();
        ArgumentNullException.ThrowIfNull(_options.IceServers, nameof(options));
        var anyTurn = false;
        foreach (var server in _options.IceServers)
        {
            ArgumentNullException.ThrowIfNull(server, nameof(options));
            anyTurn |= server.ParseUrls().Any(u => u.IsTurn);
        }

        if (_options.IceTransportPolicy == IceTransportPolicy.Relay && !anyTurn && !_options.IceServersFromSignaling)
        {
            throw new ArgumentException(
                "IceTransportPolicy.Relay needs a TURN server: add a turn:/turns: server to WebRtcTransportOptions.IceServers, or set IceServersFromSignaling to get one from the signaling server.",
                nameof(options));
        }

        _configuration = new RtcConfiguration
        {
            IceServers = _options.IceServers,
            IceTransportPolicy = _options.IceTransportPolicy,
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
    public bool IceServersFromSignaling => _options.IceServersFromSignaling;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">
    /// <see cref="IceTransportPolicy.Relay"/>, and neither the options nor the signaling server gave a TURN server.
    /// </exception>
    public IPeerConnection CreateConnection(PeerConnectionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var configuration = _configuration;
        if (_options.IceServersFromSignaling && context.IceServers.Count > 0)
        {
            configuration = configuration with { IceServers = [.. _options.IceServers, .. Usable(context.IceServers, context.Logger)] };
        }

        configuration = configuration with { Ice = WithInterruptionTimeout(configuration.Ice, context.InterruptionTimeout) };
        return new WebRtcPeerConnection(new RtcPeerConnection(configuration), _options, context.Logger);
    }

    /// <summary>
    /// Consent freshness (RFC 7675) tuned to the group's interruption timeout: a consent check every 0.4 of it (±20 %),
    /// so at least two go unanswered before the connection is reported disconnected, at the timeout.
    /// </summary>
    private static IceAgentOptions WithInterruptionTimeout(IceAgentOptions ice, TimeSpan interruptionTimeout) =>
        interruptionTimeout <= TimeSpan.Zero
            ? ice
            : ice with
            {
                ConsentInterval = interruptionTimeout * 0.4,
                ConsentDisconnectedTimeout = interruptionTimeout,
                ConsentFailureTimeout = ice.ConsentFailureTimeout > interruptionTimeout ? ice.ConsentFailureTimeout : interruptionTimeout * 4,
            };

    /// <summary>The signaled servers this stack can use; one it cannot parse is left out with a warning, not the whole list.</summary>
    private static List<RtcIceServer> Usable(IReadOnlyList<IceServerPayload> servers, ILogger logger)
    {
        var usable = new List<RtcIceServer>(servers.Count);
        foreach (var payload in servers)
        {
            var server = new RtcIceServer(payload.Urls ?? [], payload.Username, payload.Credential);
            try
            {
                server.ParseUrls();
                usable.Add(server);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                logger.LogWarning("Ignored an ICE server from the signaling server, {Server}: {Reason}", server, ex.Message);
            }
        }

        return usable;
    }
}

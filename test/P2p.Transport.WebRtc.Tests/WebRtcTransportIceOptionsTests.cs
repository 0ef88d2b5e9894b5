using System.Net;
using Microsoft.Extensions.Logging;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;
using P2p.Testing;
using P2p.WebRtc;
using P2p.WebRtc.Ice;

namespace P2p.Transport.WebRtc.Tests;

/// <summary>The transport's ICE settings: browser-shaped servers, the relay policy, servers from signaling, clear errors.</summary>
public class WebRtcTransportIceOptionsTests
{
    private static readonly RtcIceServer Turn = new("turn:127.0.0.1:3478?transport=udp", "user", "password");

    [Test]
    public void The_relay_policy_without_a_turn_server_is_refused_when_the_factory_is_made()
    {
        var ex = Assert.Throws<ArgumentException>(() => new WebRtcPeerConnectionFactory(new WebRtcTransportOptions
        {
            IceServers = [new RtcIceServer("stun:127.0.0.1:3478")],
            IceTransportPolicy = IceTransportPolicy.Relay,
        }));
        Assert.That(ex!.Message, Does.Contain("TURN").And.Contain("IceServersFromSignaling"));
    }

    [Test]
    public void A_malformed_url_is_refused_when_the_factory_is_made()
    {
        Assert.Throws<FormatException>(() => new WebRtcPeerConnectionFactory(new WebRtcTransportOptions { IceServers = [new RtcIceServer("stun//127.0.0.1")] }));
    }

    [Test]
    public void A_turn_server_without_credentials_is_refused_when_the_factory_is_made()
    {
        var ex = Assert.Throws<ArgumentException>(() => new WebRtcPeerConnectionFactory(new WebRtcTransportOptions { IceServers = [new RtcIceServer("turn:127.0.0.1")] }));
        Assert.That(ex!.Message, Does.Contain("username"));
    }

    [Test]
    public async Task The_relay_policy_with_a_configured_turn_server_makes_connections()
    {
        var factory = new WebRtcPeerConnectionFactory(new WebRtcTransportOptions
        {
            IceServers = [Turn],
            IceTransportPolicy = IceTransportPolicy.Relay,
            AddressFilter = a => a.Equals(IPAddress.Loopback),
        });
        Assert.That(factory.IceServersFromSignaling, Is.False);
        await using var connection = factory.CreateConnection(Context([]));
        Assert.That(connection.State, Is.EqualTo(PeerConnectionState.New));
    }

    [Test]
    public async Task With_servers_from_signaling_the_relay_policy_uses_the_turn_server_each_connection_is_given()
    {
        var factory = new WebRtcPeerConnectionFactory(new WebRtcTransportOptions
        {
            IceServersFromSignaling = true,
            IceTransportPolicy = IceTransportPolicy.Relay,
            AddressFilter = a => a.Equals(IPAddress.Loopback),
        });
        Assert.That(factory.IceServersFromSignaling, Is.True, "P2pService asks the signaling server because of this");
        await using var connection = factory.CreateConnection(Context([new IceServerPayload(["turn:127.0.0.1:3478"], "1700000000:u", "c")]));
        Assert.That(connection.State, Is.EqualTo(PeerConnectionState.New));

        var ex = Assert.Throws<ArgumentException>(() => factory.CreateConnection(Context([])));
        Assert.That(ex!.Message, Does.Contain("Relay"), "no TURN server from anywhere: the connection cannot be made");
    }

    [Test]
    public async Task A_server_from_signaling_this_stack_cannot_use_is_left_out_with_a_warning()
    {
        var log = new TestLog(LogLevel.Debug);
        var factory = new WebRtcPeerConnectionFactory(new WebRtcTransportOptions
        {
            IceServersFromSignaling = true,
            AddressFilter = a => a.Equals(IPAddress.Loopback),
        });
        await using var connection = factory.CreateConnection(Context(
        [
            new IceServerPayload(["foo:127.0.0.1"]),
            new IceServerPayload(["turn:127.0.0.1:3478"], "1700000000:u", "secret-credential"),
        ], log.CreateLogger("test")));
        Assert.That(log.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("foo:127.0.0.1", StringComparison.Ordinal)), Is.True, log.ToString());
        Assert.That(log.ToString(), Does.Not.Contain("secret-credential"));
    }

    private static PeerConnectionContext Context(IReadOnlyList<IceServerPayload> servers, ILogger? logger = null) =>
        new("group", "local", "remote", PeerConnectionRole.Offerer, logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
        {
            IceServers = servers,
        };
}

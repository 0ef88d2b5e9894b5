using System.Net;
using System.Net.Sockets;
using P2p.Testing.NatLab;
using P2p.WebRtc.Stun;

namespace P2p.NatLab.Tests;

/// <summary>The lab itself: each host sees only its own interface, and each router type maps (or blocks) UDP as it should.</summary>
public class LabNetworkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    [Test]
    public void A_host_enumerates_only_the_interfaces_of_its_own_namespace()
    {
        var addresses = Lab.Alice.Sockets.GetLocalAddresses();

        Assert.That(addresses, Is.EquivalentTo(new[] { IPAddress.Loopback, Lab.Alice.Address }), Lab.Alice.ToString());
    }

    [Test]
    public async Task An_endpoint_independent_nat_maps_to_its_wan_address_and_keeps_the_port()
    {
        using var client = Client(Lab.Carol);

        var mapped = await MappedAddressAsync(client);

        Assert.That(mapped, Is.EqualTo(new IPEndPoint(Lab.Carol.Lan.WanAddress, ((IPEndPoint)client.Client.LocalEndPoint!).Port)));
    }

    [Test]
    public async Task A_symmetric_nat_maps_to_its_wan_address()
    {
        using var client = Client(Lab.Dave);

        var mapped = await MappedAddressAsync(client);

        Assert.That(mapped?.Address, Is.EqualTo(Lab.Dave.Lan.WanAddress));
    }

    [Test]
    public async Task A_host_without_nat_is_seen_at_its_own_address()
    {
        using var client = Client(Lab.Grace);

        var mapped = await MappedAddressAsync(client);

        Assert.That(mapped, Is.EqualTo(client.Client.LocalEndPoint));
    }

    [Test]
    public async Task A_udp_blocked_router_passes_tcp_but_no_udp()
    {
        using var client = Client(Lab.Frank);
        var response = await CoturnProcess.BindingAsync(client, Lab.Coturn.EndPoint, StunTransactionId.NewRandom(), TimeSpan.FromMilliseconds(500));
        Assert.That(response, Is.Null, "a STUN request over UDP crossed the UDP-blocked router");

        await using var tcp = await Lab.Frank.Sockets.ConnectAsync(Lab.Coturn.EndPoint, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.That(tcp.CanWrite, Is.True);
    }

    private static UdpClient Client(LabHost host) => host.Namespace.Run(() => new UdpClient(new IPEndPoint(host.Address, 0)));

    private static async Task<IPEndPoint?> MappedAddressAsync(UdpClient client)
    {
        var id = StunTransactionId.NewRandom();
        var response = await CoturnProcess.BindingAsync(client, Lab.Coturn.EndPoint, id, Timeout);
        Assert.That(response, Is.Not.Null, "no STUN answer from coturn");
        Assert.That(StunMessage.TryParse(response, out var message), Is.EqualTo(StunParseResult.Success));
        return message.TryGetXorMappedAddress(out var mapped) ? mapped : null;
    }
}

using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Testing.Network;

namespace P2p.WebRtc.Tests.VirtualNet;

/// <summary>Link conditions, delivery through the clock's timers, determinism from the seed, the STUN server.</summary>
[Parallelizable(ParallelScope.All)]
public class VirtualLinkTests
{
    private static (VirtualNetwork Net, DatagramProbe A, DatagramProbe B) TwoHosts(int seed = 1)
    {
        var net = new VirtualNetwork(seed);
        return (net, new DatagramProbe(net.Internet.AddHost("a")), new DatagramProbe(net.Internet.AddHost("b")));
    }

    [Test]
    public void Delivery_is_never_synchronous_even_over_perfect_links()
    {
        var (net, a, b) = TwoHosts();
        a.Send("x", b.EndPoint);

        Assert.Multiple(() =>
        {
            Assert.That(b.Received, Is.Empty, "not inside Send");
            Assert.That(net.InFlight, Is.EqualTo(1));
        });
        net.Advance(TimeSpan.Zero);
        Assert.That(b.Received, Is.Empty, "not without the clock moving");
        net.Advance(VirtualNetwork.MinimumLatency);
        Assert.That(b.Received.Single().Text, Is.EqualTo("x"));
        Assert.That(net.Counters.Delivered, Is.EqualTo(1));
    }

    [Test]
    public void Delay_adds_up_along_the_path()
    {
        var (net, a, b) = TwoHosts();
        a.Socket.Host.Link.Conditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(20) };
        b.Socket.Host.Link.Conditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(30) };
        a.Send("x", b.EndPoint);

        net.Advance(TimeSpan.FromMilliseconds(49.9));
        Assert.That(b.Received, Is.Empty);
        net.Advance(TimeSpan.FromMilliseconds(0.1));
        Assert.That(b.Received.Single().At, Is.EqualTo(TimeSpan.FromMilliseconds(50)));
    }

    [Test]
    public void Jitter_stays_within_its_bound_and_reorders()
    {
        var (net, a, b) = TwoHosts();
        a.Socket.Host.Link.Conditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), Jitter = TimeSpan.FromMilliseconds(20) };
        for (var i = 0; i < 200; i++)
        {
            a.Send(i.ToString(System.Globalization.CultureInfo.InvariantCulture), b.EndPoint);
            net.Advance(TimeSpan.FromMilliseconds(1));
        }

        net.Advance(TimeSpan.FromMilliseconds(50));
        var order = b.Received.Select(r => int.Parse(r.Text, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var latencies = b.Received.Select(r => r.At - TimeSpan.FromMilliseconds(int.Parse(r.Text, System.Globalization.CultureInfo.InvariantCulture) + 1) + TimeSpan.FromMilliseconds(1)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(order, Has.Length.EqualTo(200));
            Assert.That(order, Is.Not.Ordered, "jitter larger than the send interval reorders");
            Assert.That(latencies.Min(), Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(10)));
            Assert.That(latencies.Max(), Is.LessThanOrEqualTo(TimeSpan.FromMilliseconds(30)));
        });
    }

    [Test]
    public void Reordering_holds_some_back_losing_none()
    {
        var (net, a, b) = TwoHosts();
        b.Socket.Host.Link.Conditions = new LinkConditions { Reordering = 0.2, ReorderDelay = TimeSpan.FromMilliseconds(5) };
        for (var i = 0; i < 100; i++)
        {
            a.Send(i.ToString(System.Globalization.CultureInfo.InvariantCulture), b.EndPoint);
            net.Advance(TimeSpan.FromMilliseconds(1));
        }

        net.Advance(TimeSpan.FromMilliseconds(10));
        var order = b.Received.Select(r => int.Parse(r.Text, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.That(order.Order(), Is.EqualTo(Enumerable.Range(0, 100)));
        Assert.That(order, Is.Not.Ordered);
    }

    [Test]
    public void Loss_drops_about_its_rate_and_counts_it()
    {
        var (net, a, b) = TwoHosts();
        a.Socket.Host.Link.Conditions = new LinkConditions { Loss = 0.3 };
        for (var i = 0; i < 2000; i++)
        {
            a.Send("x", b.EndPoint);
        }

        net.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Multiple(() =>
        {
            Assert.That(net.Counters.Sent, Is.EqualTo(2000));
            Assert.That(net.Counters.Dropped(DatagramDropReason.Loss), Is.InRange(2000 * 0.3 - 100, 2000 * 0.3 + 100));
            Assert.That(b.Received.Count + net.Counters.Dropped(DatagramDropReason.Loss), Is.EqualTo(2000));
            Assert.That(net.Counters.Delivered, Is.EqualTo(b.Received.Count));
        });
    }

    [Test]
    public void Duplication_delivers_twice()
    {
        var (net, a, b) = TwoHosts();
        b.Socket.Host.Link.Conditions = new LinkConditions { Duplication = 1 };
        a.Send("x", b.EndPoint);
        a.Send("y", b.EndPoint);
        net.Advance(TimeSpan.FromMilliseconds(5));

        Assert.That(b.Received.Select(r => r.Text).Order(), Is.EqualTo(new[] { "x", "x", "y", "y" }));
        Assert.That(net.Counters.Duplicated, Is.EqualTo(2));
    }

    [Test]
    public void Mtu_drops_larger_packets()
    {
        var (net, a, b) = TwoHosts();
        a.Socket.Host.Link.Conditions = new LinkConditions { Mtu = 1280 };
        a.Send(1280 - 28, b.EndPoint);
        a.Send(1280 - 27, b.EndPoint);
        net.Advance(TimeSpan.FromMilliseconds(1));

        Assert.That(b.Received.Single().Text, Has.Length.EqualTo(1252));
        Assert.That(net.Counters.Dropped(DatagramDropReason.TooBig), Is.EqualTo(1));
    }

    [Test]
    public void Cut_drops_everything_until_restored_in_both_directions()
    {
        var (net, a, b) = TwoHosts();
        b.Socket.Host.Link.Cut();
        a.Send("lost", b.EndPoint);
        b.Send("lost too", a.EndPoint);
        net.Advance(TimeSpan.FromSeconds(1));
        b.Socket.Host.Link.Restore();
        a.Send("after", b.EndPoint);
        net.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Multiple(() =>
        {
            Assert.That(b.Received.Select(r => r.Text), Is.EqualTo(new[] { "after" }));
            Assert.That(a.Received, Is.Empty);
            Assert.That(net.Counters.Dropped(DatagramDropReason.LinkCut), Is.EqualTo(2));
            Assert.That(b.Socket.Host.Link.IsCut, Is.False);
        });
    }

    [Test]
    public void Closed_socket_counts_as_no_socket()
    {
        var (net, a, b) = TwoHosts();
        a.Send("x", new IPEndPoint(b.EndPoint.Address, 9));
        a.Send("y", b.EndPoint);
        b.Dispose();
        net.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(net.Counters.Dropped(DatagramDropReason.NoSocket), Is.EqualTo(2));
        Assert.That(() => b.Socket.Send(new byte[1], a.EndPoint), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void Disposed_network_delivers_nothing()
    {
        var (net, a, b) = TwoHosts();
        a.Send("in flight", b.EndPoint);
        net.Dispose();
        a.Send("after", b.EndPoint);
        net.Advance(TimeSpan.FromSeconds(1));
        Assert.That(b.Received, Is.Empty);
        Assert.That(net.InFlight, Is.Zero);
    }

    [Test]
    public void Invalid_conditions_are_refused()
    {
        var link = new VirtualNetwork(1).Internet.AddHost("h").Link;
        Assert.That(() => link.Conditions = new LinkConditions { Loss = 1.5 }, Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => link.Conditions = new LinkConditions { Mtu = 20 }, Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Same_seed_same_run_other_seed_other_run()
    {
        var first = Run(42);
        var again = Run(42);
        var other = Run(43);

        Assert.Multiple(() =>
        {
            Assert.That(again, Is.EqualTo(first));
            Assert.That(other, Is.Not.EqualTo(first));
        });

        static string[] Run(int seed)
        {
            var net = new VirtualNetwork(seed);
            var nat = net.Internet.AddRouter("nat", NatBehavior.Symmetric);
            nat.Link.Conditions = new LinkConditions
            {
                Loss = 0.1, Delay = TimeSpan.FromMilliseconds(15), Jitter = TimeSpan.FromMilliseconds(10), Duplication = 0.05, Reordering = 0.1,
            };
            var a = new DatagramProbe(nat.Inside.AddHost("a"));
            var b = new DatagramProbe(net.Internet.AddHost("b"), 7000);
            for (var i = 0; i < 300; i++)
            {
                a.Send($"{i}", b.EndPoint);
                net.Advance(TimeSpan.FromMilliseconds(2));
            }

            net.Advance(TimeSpan.FromSeconds(1));
            return [.. b.Received.Select(r => $"{r.Text} from {r.From} at {r.At.Ticks}"), a.EndPoint.ToString(), net.Counters.ToString()];
        }
    }

    [Test]
    public void Stun_server_answers_with_the_mapped_address_through_a_nat()
    {
        var net = new VirtualNetwork(5);
        using var stun = new VirtualStunServer(net.Internet.AddHost("stun"));
        var nat = net.Internet.AddRouter("nat", NatBehavior.Symmetric);
        var client = nat.Inside.AddHost("client");
        using var socket = client.BindSocket(client.Address, 0);
        IPEndPoint? mapped = null;
        StunTransactionId? answered = null;
        socket.Start((datagram, _) =>
        {
            Assert.That(StunMessage.TryParse(datagram, out var m), Is.EqualTo(StunParseResult.Success));
            Assert.That(m.Class, Is.EqualTo(StunMessageClass.SuccessResponse));
            Assert.That(m.HasFingerprint, Is.True);
            m.TryGetXorMappedAddress(out mapped);
            answered = m.TransactionId;
        });
        var id = StunTransactionId.NewRandom();
        Span<byte> buffer = stackalloc byte[64];
        var request = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.Request, id);
        request.AddFingerprint();
        socket.Send(request.Written, stun.EndPoint);
        net.Advance(TimeSpan.FromMilliseconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(answered, Is.EqualTo(id));
            Assert.That(mapped, Is.EqualTo(nat.FindMapping(socket.LocalEndPoint, stun.EndPoint)));
            Assert.That(mapped!.Address, Is.EqualTo(nat.ExternalAddress));
            Assert.That(stun.Answered, Is.EqualTo(1));
            Assert.That(stun.EndPoint.Port, Is.EqualTo(VirtualStunServer.DefaultPort));
        });
    }

    [Test]
    public void Host_binds_only_its_own_addresses()
    {
        var host = new VirtualNetwork(1).Internet.AddHost("h");
        var socket = host.BindSocket(host.Address, 4000);
        Assert.Multiple(() =>
        {
            Assert.That(host.GetLocalAddresses(), Is.EqualTo(new[] { host.Address }));
            Assert.That(socket.LocalEndPoint.Port, Is.EqualTo(4000));
            Assert.That(() => host.BindSocket(host.Address, 4000), Throws.TypeOf<SocketException>());
            Assert.That(() => host.Bind(IPAddress.Parse("203.0.113.250")), Throws.TypeOf<SocketException>());
            Assert.That(host.Bind(host.Address).LocalEndPoint.Port, Is.InRange(49152, 65535));
        });
    }
}

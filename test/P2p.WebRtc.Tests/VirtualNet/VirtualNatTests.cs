using System.Net;
using P2p.WebRtc.Testing.Network;

namespace P2p.WebRtc.Tests.VirtualNet;

/// <summary>The RFC 4787 behaviours of the virtual NAT: mapping reuse, filtering, hairpinning, mapping timeout; plain routing.</summary>
[Parallelizable(ParallelScope.All)]
public class VirtualNatTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(10);

    /// <summary>A NAT with one inside host, and two outside hosts (two ports on the first).</summary>
    private sealed class World
    {
        public World(NatBehavior behavior, int seed = 1)
        {
            Net = new VirtualNetwork(seed);
            Nat = Net.Internet.AddRouter("nat", behavior);
            Inside = new DatagramProbe(Nat.Inside.AddHost("inside"));
            var s1 = Net.Internet.AddHost("s1");
            var s2 = Net.Internet.AddHost("s2");
            S1a = new DatagramProbe(s1, 1000);
            S1b = new DatagramProbe(s1, 2000);
            S2 = new DatagramProbe(s2, 1000);
        }

        public VirtualNetwork Net { get; }

        public VirtualRouter Nat { get; }

        public DatagramProbe Inside { get; }

        public DatagramProbe S1a { get; }

        public DatagramProbe S1b { get; }

        public DatagramProbe S2 { get; }

        /// <summary>The external endpoint the outside probe sees for a datagram from the inside host.</summary>
        public IPEndPoint ExternalSeenBy(DatagramProbe outside)
        {
            Inside.Send("out", outside.EndPoint);
            Net.Advance(Step);
            return outside.LastFrom!;
        }
    }

    [TestCase(NatMappingBehavior.EndpointIndependent, true, true)]
    [TestCase(NatMappingBehavior.AddressDependent, true, false)]
    [TestCase(NatMappingBehavior.AddressAndPortDependent, false, false)]
    public void Mapping_is_reused_per_the_behaviour(NatMappingBehavior mapping, bool samePortOtherPort, bool sameOtherAddress)
    {
        var w = new World(new NatBehavior { Mapping = mapping });

        var toS1a = w.ExternalSeenBy(w.S1a);
        var toS1b = w.ExternalSeenBy(w.S1b);
        var toS2 = w.ExternalSeenBy(w.S2);
        var again = w.ExternalSeenBy(w.S1a);

        Assert.Multiple(() =>
        {
            Assert.That(toS1a.Address, Is.EqualTo(w.Nat.ExternalAddress), "translated to the external address");
            Assert.That(toS1a, Is.Not.EqualTo(w.Inside.EndPoint));
            Assert.That(toS1b.Equals(toS1a), Is.EqualTo(samePortOtherPort), "same address, other port");
            Assert.That(toS2.Equals(toS1a), Is.EqualTo(sameOtherAddress), "other address");
            Assert.That(again, Is.EqualTo(toS1a), "a mapping is reused for the same destination");
            Assert.That(w.Nat.FindMapping(w.Inside.EndPoint, w.S1a.EndPoint), Is.EqualTo(toS1a));
            Assert.That(w.Nat.MappingCount, Is.EqualTo(1 + (samePortOtherPort ? 0 : 1) + (sameOtherAddress ? 0 : 1)));
        });
    }

    [TestCase(NatFilteringBehavior.EndpointIndependent, true, true)]
    [TestCase(NatFilteringBehavior.AddressDependent, true, false)]
    [TestCase(NatFilteringBehavior.AddressAndPortDependent, false, false)]
    public void Filtering_lets_in_only_whom_the_behaviour_allows(NatFilteringBehavior filtering, bool fromOtherPort, bool fromOtherAddress)
    {
        var w = new World(new NatBehavior { Mapping = NatMappingBehavior.EndpointIndependent, Filtering = filtering });
        var external = w.ExternalSeenBy(w.S1a);

        w.S1a.Send("reply", external);
        w.S1b.Send("other port", external);
        w.S2.Send("other address", external);
        w.Net.Advance(Step);

        var texts = w.Inside.Received.Select(r => r.Text).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(texts, Does.Contain("reply"), "the remote the mapping sent to is always let in");
            Assert.That(texts.Contains("other port"), Is.EqualTo(fromOtherPort));
            Assert.That(texts.Contains("other address"), Is.EqualTo(fromOtherAddress));
            Assert.That(w.Inside.Received.Single(r => r.Text == "reply").From, Is.EqualTo(w.S1a.EndPoint), "inbound sources are not translated");
            Assert.That(w.Net.Counters.Dropped(DatagramDropReason.Filtered), Is.EqualTo((fromOtherPort ? 0 : 1) + (fromOtherAddress ? 0 : 1)));
        });
    }

    [Test]
    public void Unsolicited_inbound_has_no_mapping_and_inside_addresses_are_not_routed()
    {
        var w = new World(NatBehavior.FullCone);
        w.S1a.Send("to the NAT", new IPEndPoint(w.Nat.ExternalAddress, 40000));
        w.S1a.Send("to the inside address", w.Inside.EndPoint);
        w.Net.Advance(Step);

        Assert.Multiple(() =>
        {
            Assert.That(w.Inside.Received, Is.Empty);
            Assert.That(w.Net.Counters.Dropped(DatagramDropReason.NoMapping), Is.EqualTo(1));
            Assert.That(w.Net.Counters.Dropped(DatagramDropReason.NoRoute), Is.EqualTo(1));
            Assert.That(VirtualAddresses.IsPrivate(w.Inside.EndPoint.Address), Is.True);
            Assert.That(VirtualAddresses.IsPublic(w.Nat.ExternalAddress), Is.True);
        });
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Hairpinning_delivers_from_the_senders_external_endpoint_or_drops(bool hairpinning)
    {
        var w = new World(NatBehavior.FullCone with { Hairpinning = hairpinning });
        var b = new DatagramProbe(w.Nat.Inside.AddHost("b"));
        var externalA = w.ExternalSeenBy(w.S1a);
        b.Send("map", w.S1a.EndPoint);
        w.Net.Advance(Step);
        var externalB = w.S1a.LastFrom!;

        w.Inside.Send("a to b", externalB);
        b.Send("b to a", externalA);
        w.Net.Advance(Step);

        Assert.Multiple(() =>
        {
            if (hairpinning)
            {
                Assert.That(b.Received.Single().Text, Is.EqualTo("a to b"));
                Assert.That(b.Received.Single().From, Is.EqualTo(externalA), "from a's external endpoint (RFC 4787 REQ-9)");
                Assert.That(w.Inside.Received.Single().Text, Is.EqualTo("b to a"));
                Assert.That(w.Inside.Received.Single().From, Is.EqualTo(externalB));
                Assert.That(w.Net.Counters.Dropped(DatagramDropReason.NoHairpinning), Is.Zero);
            }
            else
            {
                Assert.That(b.Received, Is.Empty);
                Assert.That(w.Inside.Received, Is.Empty);
                Assert.That(w.Net.Counters.Dropped(DatagramDropReason.NoHairpinning), Is.EqualTo(2));
            }
        });
    }

    [Test]
    public void Hairpinning_still_filters()
    {
        var w = new World(NatBehavior.PortRestrictedCone with { Hairpinning = true });
        var b = new DatagramProbe(w.Nat.Inside.AddHost("b"));
        w.ExternalSeenBy(w.S1a);
        b.Send("map", w.S1a.EndPoint);
        w.Net.Advance(Step);

        w.Inside.Send("a to b", w.S1a.LastFrom!); // b's mapping never sent to a's external endpoint
        w.Net.Advance(Step);

        Assert.That(b.Received, Is.Empty);
        Assert.That(w.Net.Counters.Dropped(DatagramDropReason.Filtered), Is.EqualTo(1));
    }

    [Test]
    public void Mapping_expires_without_outbound_traffic_and_inbound_does_not_refresh_it()
    {
        var w = new World(NatBehavior.FullCone with { MappingTimeout = TimeSpan.FromSeconds(30) });
        var first = w.ExternalSeenBy(w.S1a);

        // Inbound traffic at 20 s does not refresh; outbound at 25 s does.
        w.Net.Advance(TimeSpan.FromSeconds(20));
        w.S2.Send("in at 20 s", first);
        w.Net.Advance(TimeSpan.FromSeconds(5));
        Assert.That(w.ExternalSeenBy(w.S1a), Is.EqualTo(first), "refreshed at 25 s");
        w.Net.Advance(TimeSpan.FromSeconds(29));
        w.S2.Send("in at 54 s", first);
        w.Net.Advance(TimeSpan.FromSeconds(2));
        w.S2.Send("in at 56 s", first);
        w.Net.Advance(Step);

        Assert.Multiple(() =>
        {
            Assert.That(w.Inside.Received.Select(r => r.Text), Is.EqualTo(new[] { "in at 20 s", "in at 54 s" }));
            Assert.That(w.Net.Counters.Dropped(DatagramDropReason.NoMapping), Is.EqualTo(1), "the mapping expired 30 s after the last outbound datagram");
            Assert.That(w.Nat.MappingCount, Is.Zero);
            Assert.That(w.Nat.FindMapping(w.Inside.EndPoint, w.S1a.EndPoint), Is.Null);
        });

        var second = w.ExternalSeenBy(w.S1a);
        Assert.That(second, Is.Not.EqualTo(first), "a new mapping gets a new port");
    }

    [Test]
    public void Plain_router_forwards_without_translation_or_filtering()
    {
        var w = new World(NatBehavior.None);

        var seen = w.ExternalSeenBy(w.S1a);
        w.S2.Send("unsolicited", w.Inside.EndPoint);
        w.Net.Advance(Step);

        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.EqualTo(w.Inside.EndPoint));
            Assert.That(VirtualAddresses.IsPublic(w.Inside.EndPoint.Address), Is.True, "behind a plain router, addresses are public");
            Assert.That(w.Inside.Received.Single().Text, Is.EqualTo("unsolicited"));
            Assert.That(w.Nat.MappingCount, Is.Zero);
        });
    }

    [Test]
    public void Nested_nats_translate_twice()
    {
        var net = new VirtualNetwork(3);
        var carrier = net.Internet.AddRouter("cgnat", NatBehavior.FullCone);
        var home = carrier.Inside.AddRouter("home", NatBehavior.PortRestrictedCone);
        var inside = new DatagramProbe(home.Inside.AddHost("pc"));
        var server = new DatagramProbe(net.Internet.AddHost("server"), 5000);

        inside.Send("hello", server.EndPoint);
        net.Advance(Step);
        server.Send("back", server.LastFrom!);
        net.Advance(Step);

        Assert.Multiple(() =>
        {
            Assert.That(VirtualAddresses.IsPrivate(home.ExternalAddress), Is.True, "the home NAT's external address is inside the carrier NAT");
            Assert.That(server.LastFrom!.Address, Is.EqualTo(carrier.ExternalAddress));
            Assert.That(inside.Received.Single().Text, Is.EqualTo("back"));
        });
    }

    [Test]
    public void Addresses_outside_the_test_ranges_are_refused()
    {
        var net = new VirtualNetwork(1);
        var nat = net.Internet.AddRouter("nat", NatBehavior.Symmetric);
        Assert.Multiple(() =>
        {
            Assert.That(() => net.Internet.AddHost("h", IPAddress.Parse("8.8.8.8")), Throws.ArgumentException);
            Assert.That(() => net.Internet.AddHost("h", IPAddress.Parse("198.18.0.5")), Throws.ArgumentException);
            Assert.That(() => nat.Inside.AddHost("h", IPAddress.Parse("192.168.1.2")), Throws.ArgumentException);
            Assert.That(() => nat.Inside.AddHost("h", IPAddress.Parse("203.0.113.77")), Throws.ArgumentException);
            Assert.That(nat.Inside.AddHost("h", IPAddress.Parse("198.19.4.5")).Address, Is.EqualTo(IPAddress.Parse("198.19.4.5")));
            Assert.That(net.Internet.AddHost("p", IPAddress.Parse("198.51.100.9")).Address, Is.EqualTo(IPAddress.Parse("198.51.100.9")));
            Assert.That(() => net.Internet.AddHost("dup", IPAddress.Parse("198.51.100.9")), Throws.ArgumentException);
            var plain = net.Internet.AddRouter("plain", NatBehavior.None);
            Assert.That(() => plain.Inside.AddHost("dup", IPAddress.Parse("198.51.100.9")), Throws.ArgumentException, "public addresses are unique network-wide");
            Assert.That(() => plain.Inside.AddHost("private", IPAddress.Parse("198.18.9.9")), Throws.ArgumentException);
        });
    }
}

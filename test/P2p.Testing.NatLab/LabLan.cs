using System.Globalization;
using System.Net;

namespace P2p.Testing.NatLab;

/// <summary>
/// One LAN of a <see cref="NatLabNetwork"/>: a router namespace whose <c>wan0</c> sits on the public segment and whose
/// <c>lan0</c> bridge carries the LAN (203.0.113.16·(n−1)/28, router at .1), and the hosts on it, each a namespace
/// of its own. The router's <see cref="NatType"/> decides what crosses between the two sides (iptables rules
/// installed at creation).
/// </summary>
public sealed class LabLan
{
    /// <summary>The most LANs a lab has: 203.0.113.0/24 holds sixteen /28s.</summary>
    public const int MaxLans = 16;

    /// <summary>The most hosts on one LAN: a /28 holds fourteen addresses, one is the router's.</summary>
    public const int MaxHosts = 13;

    private readonly NatLabNetwork _lab;
    private readonly List<LabHost> _hosts = [];

    internal LabLan(NatLabNetwork lab, int index, string name, NatType nat, NetworkNamespace router)
    {
        _lab = lab;
        Index = index;
        Name = name;
        Nat = nat;
        Router = router;
        WanAddress = IPAddress.Parse(FormattableString.Invariant($"198.18.0.{10 + index}"));
        Gateway = LanAddress(1);
    }

    /// <summary>The LAN's name (e.g. <c>home</c>).</summary>
    public string Name { get; }

    /// <summary>Its number in the lab, from 1.</summary>
    public int Index { get; }

    /// <summary>What the router does between the LAN and the public segment.</summary>
    public NatType Nat { get; }

    /// <summary>The router's namespace.</summary>
    public NetworkNamespace Router { get; }

    /// <summary>The router's address on the public segment: where the NAT's mappings live (server-reflexive addresses).</summary>
    public IPAddress WanAddress { get; }

    /// <summary>The router's address on the LAN: the hosts' default gateway.</summary>
    public IPAddress Gateway { get; }

    /// <summary>The LAN's subnet in CIDR form.</summary>
    public string Subnet => LanAddress(0) + "/28";

    /// <summary>The hosts added so far.</summary>
    public IReadOnlyList<LabHost> Hosts => _hosts;

    /// <summary>Adds a host: a namespace with <c>eth0</c> on the LAN bridge, the next free address, a default route via the router.</summary>
    /// <param name="name">The host's name (for logs; letters and digits).</param>
    /// <returns>The host.</returns>
    public LabHost AddHost(string name)
    {
        if (_hosts.Count == MaxHosts)
        {
            throw new InvalidOperationException($"A lab LAN holds at most {MaxHosts} hosts.");
        }

        var number = _hosts.Count + 1;
        var address = LanAddress(1 + number);
        var ns = _lab.CreateNamespace(FormattableString.Invariant($"h{Index}-{number}"));
        try
        {
            var port = FormattableString.Invariant($"h{Index}p{number}");
            ns.Ip("link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", Router.Name);
            Router.Ip("link", "set", port, "master", "lan0", "up");
            ns.Ip("addr", "add", address + "/28", "dev", "eth0");
            ns.Ip("link", "set", "eth0", "up");
            ns.Ip("route", "add", "default", "via", Gateway.ToString());
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        var host = new LabHost(name, this, ns, address);
        _hosts.Add(host);
        return host;
    }

    /// <inheritdoc/>
    public override string ToString() => $"LAN {Name} ({Subnet}, {Nat})";

    /// <summary>Sets up the router: interfaces, forwarding, and the NAT type's iptables rules.</summary>
    internal void Configure(NetworkNamespace publicSegment, IPAddress publicGateway)
    {
        var wanPort = FormattableString.Invariant($"r{Index}w");
        Router.Ip("link", "add", "wan0", "type", "veth", "peer", "name", wanPort, "netns", publicSegment.Name);
        publicSegment.Ip("link", "set", wanPort, "master", NatLabNetwork.PublicBridge, "up");
        Router.Ip("addr", "add", WanAddress + "/24", "dev", "wan0");
        Router.Ip("link", "set", "wan0", "up");
        Router.Ip("route", "add", "default", "via", publicGateway.ToString());
        Router.Ip("link", "add", "lan0", "type", "bridge");
        Router.Ip("addr", "add", Gateway + "/28", "dev", "lan0");
        Router.Ip("link", "set", "lan0", "up");
        Router.Sysctl("net.ipv4.ip_forward", "1");
        if (Nat != NatType.None)
        {
            Router.ExecWithInput(IptablesRules(Nat), LabTools.IptablesRestore);
        }
    }

    /// <summary>The router's rule set for <paramref name="nat"/>, in <c>iptables-restore</c> form.</summary>
    /// <param name="nat">The NAT type (not <see cref="NatType.None"/>).</param>
    /// <returns>The rules.</returns>
    internal static string IptablesRules(NatType nat)
    {
        var masquerade = nat == NatType.AddressAndPortDependent ? "-j MASQUERADE --random-fully" : "-j MASQUERADE";
        var udpBlocked = nat == NatType.UdpBlocked
            ? "-A FORWARD -i wan0 -p udp -j DROP\n-A FORWARD -o wan0 -p udp -j DROP\n"
            : string.Empty;

        // The WAN-side firewall drops unsolicited inbound packets, to the router itself too: a conntrack entry made
        // by one (even one the router answers with an ICMP error) takes its port, and the NAT's next mapping of
        // that port is no longer port-preserving.
        return "*nat\n" +
               $"-A POSTROUTING -o wan0 {masquerade}\n" +
               "COMMIT\n" +
               "*filter\n" +
               udpBlocked +
               "-A INPUT -i wan0 -m conntrack --ctstate NEW,INVALID -j DROP\n" +
               "-A FORWARD -i wan0 -m conntrack --ctstate NEW,INVALID -j DROP\n" +
               "COMMIT\n";
    }

    /// <summary>Adds a route to a LAN that is not NATed (its hosts are reachable by their own addresses).</summary>
    internal static void RouteTo(NetworkNamespace from, LabLan open) =>
        from.Ip("route", "add", open.Subnet, "via", open.WanAddress.ToString());

    private IPAddress LanAddress(int offset) =>
        IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"203.0.113.{(16 * (Index - 1)) + offset}"));
}

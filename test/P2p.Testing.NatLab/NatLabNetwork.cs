using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace P2p.Testing.NatLab;

/// <summary>
/// A network of Linux namespaces for testing ICE across NATs (docs/deploying.md, "The NAT lab"):
/// <code>
///   public segment 198.18.0.0/24 (namespace "pub", bridge br0, servers at 198.18.0.1, default route into a sink)
///      │ wan0 198.18.0.10+n
///   router n (NatType) ── lan0 bridge 203.0.113.16(n−1)+1/28 ── host namespaces .2, .3, …
/// </code>
/// Routers route between LANs only through the public segment; a LAN without NAT is reachable by its own
/// addresses (every router and the public segment get a route to it). Only 198.18.0.0/15 and 203.0.113.0/24 are
/// used, inside namespaces this lab creates. <see cref="Dispose"/> deletes every namespace; <see cref="Create"/>
/// first deletes what a crashed earlier run left.
/// </summary>
public sealed class NatLabNetwork : IDisposable
{
    /// <summary>The bridge of the public segment (in <see cref="Public"/>).</summary>
    internal const string PublicBridge = "br0";

    private static int s_labs;
    private readonly List<NetworkNamespace> _namespaces = [];
    private readonly List<LabLan> _lans = [];
    private readonly List<IAsyncDisposable> _servers = [];
    private readonly string _prefix;
    private readonly ILogger _logger;

    private NatLabNetwork(string prefix, ILogger logger)
    {
        _prefix = prefix;
        _logger = logger;
    }

    /// <summary>The address of the public segment's own namespace, where servers (coturn) listen: 198.18.0.1.</summary>
    public static IPAddress ServerAddress { get; } = IPAddress.Parse("198.18.0.1");

    /// <summary>The public segment's namespace.</summary>
    public NetworkNamespace Public { get; private set; } = null!;

    /// <summary>The LANs, in the order added.</summary>
    public IReadOnlyList<LabLan> Lans => _lans;

    /// <summary>Creates the public segment. Deletes stale lab namespaces of dead processes first.</summary>
    /// <param name="logger">Where the lab logs what it builds.</param>
    /// <returns>The lab.</returns>
    /// <exception cref="InvalidOperationException">Not root, not Linux, or a tool is missing (the message names the package).</exception>
    public static NatLabNetwork Create(ILogger? logger = null)
    {
        LabCommand.RequireLab();
        logger ??= NullLogger.Instance;
        foreach (var stale in NetworkNamespace.DeleteStale())
        {
            logger.LogInformation("Deleted the stale lab namespace {Name}", stale);
        }

        var lab = new NatLabNetwork(Interlocked.Increment(ref s_labs).ToString(CultureInfo.InvariantCulture) + "-", logger);
        try
        {
            lab.Public = lab.CreateNamespace("pub");
            var pub = lab.Public;
            pub.Ip("link", "add", PublicBridge, "type", "bridge");
            pub.Ip("addr", "add", ServerAddress + "/24", "dev", PublicBridge);
            pub.Ip("link", "set", PublicBridge, "up");

            // A default route into a veth pair kept inside: coturn's sends to unroutable peers (private host candidates)
            // must be silently lost, not fail with ENETUNREACH, or coturn tears the allocation down.
            pub.Ip("link", "add", "sink0", "type", "veth", "peer", "name", "sink1");
            pub.Ip("addr", "add", "198.19.255.1/30", "dev", "sink0");
            pub.Ip("link", "set", "sink0", "up");
            pub.Ip("link", "set", "sink1", "up");
            pub.Ip("route", "add", "default", "via", "198.19.255.2", "dev", "sink0", "onlink");
            logger.LogInformation("NAT lab {Prefix}: public segment {Name} at {Address}", NetworkNamespace.ProcessPrefix + lab._prefix, pub.Name, ServerAddress);
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    /// <summary>Adds a LAN behind a router of the given NAT type.</summary>
    /// <param name="name">The LAN's name (for logs).</param>
    /// <param name="nat">What the router does.</param>
    /// <returns>The LAN, without hosts yet (<see cref="LabLan.AddHost"/>).</returns>
    public LabLan AddLan(string name, NatType nat)
    {
        if (_lans.Count == LabLan.MaxLans)
        {
            throw new InvalidOperationException($"A lab holds at most {LabLan.MaxLans} LANs.");
        }

        var index = _lans.Count + 1;
        var lan = new LabLan(this, index, name, nat, CreateNamespace(FormattableString.Invariant($"r{index}")));
        lan.Configure(Public, ServerAddress);
        foreach (var open in _lans.Where(l => l.Nat == NatType.None))
        {
            LabLan.RouteTo(lan.Router, open);
        }

        if (nat == NatType.None)
        {
            LabLan.RouteTo(Public, lan);
            foreach (var other in _lans)
            {
                LabLan.RouteTo(other.Router, lan);
            }
        }

        _lans.Add(lan);
        _logger.LogInformation("NAT lab: {Lan} behind {Wan}", lan, lan.WanAddress);
        return lan;
    }

    /// <summary>Starts coturn on the public segment at <see cref="ServerAddress"/>; the lab stops it on dispose.</summary>
    /// <param name="options">Its settings; the address and namespace are filled in.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    public async Task<CoturnProcess> StartCoturnAsync(CoturnOptions? options = null, CancellationToken cancellationToken = default)
    {
        var server = await CoturnProcess.StartAsync(
            (options ?? new CoturnOptions()) with { ListeningAddress = ServerAddress, Namespace = Public },
            _logger,
            cancellationToken).ConfigureAwait(false);
        lock (_servers)
        {
            _servers.Add(server);
        }

        return server;
    }

    /// <summary>Stops the servers and deletes every namespace of the lab.</summary>
    public void Dispose()
    {
        IAsyncDisposable[] servers;
        lock (_servers)
        {
            servers = [.. _servers];
            _servers.Clear();
        }

        foreach (var server in servers)
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        for (var i = _namespaces.Count - 1; i >= 0; i--)
        {
            _namespaces[i].Dispose();
        }

        _namespaces.Clear();
    }

    internal NetworkNamespace CreateNamespace(string suffix)
    {
        var ns = NetworkNamespace.Create(_prefix + suffix);
        _namespaces.Add(ns);
        return ns;
    }
}

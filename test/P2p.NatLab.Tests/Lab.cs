using Microsoft.Extensions.Logging;
using P2p.Testing;
using P2p.Testing.NatLab;

namespace P2p.NatLab.Tests;

/// <summary>
/// The one lab every test here uses, built once per run (about 2 s with coturn) and deleted at the end:
/// <code>
///   public 198.18.0.0/24: coturn at 198.18.0.1 (STUN/TURN 3478 UDP+TCP, TURN-TLS 5349)
///   LAN 1 office     endpoint-independent NAT   alice, bob
///   LAN 2 home       endpoint-independent NAT   carol, hank (a browser's host)
///   LAN 3 mobile     symmetric NAT              dave
///   LAN 4 carrier    symmetric NAT              erin, ivy (a browser's host)
///   LAN 5 hotel      UDP blocked (TCP only)     frank, judy (a browser's host)
///   LAN 6 datacenter no NAT (routed)            grace
/// </code>
/// A failure to build it (no root, no iptables, no coturn) fails every test with the reason.
/// </summary>
[SetUpFixture]
public sealed class Lab
{
    private static NatLabNetwork? s_lab;
    private static CoturnProcess? s_coturn;

    /// <summary>The lab's own log (what was built, coturn's output); attached to failures.</summary>
    public static TestLog Log { get; } = new(LogLevel.Debug);

    public static NatLabNetwork Network => s_lab ?? throw new InvalidOperationException("The NAT lab was not built (see the set-up failure).");

    public static CoturnProcess Coturn => s_coturn ?? throw new InvalidOperationException("coturn was not started (see the set-up failure).");

    public static LabHost Alice { get; private set; } = null!;

    public static LabHost Bob { get; private set; } = null!;

    public static LabHost Carol { get; private set; } = null!;

    public static LabHost Dave { get; private set; } = null!;

    public static LabHost Erin { get; private set; } = null!;

    public static LabHost Frank { get; private set; } = null!;

    public static LabHost Grace { get; private set; } = null!;

    /// <summary>Where the browser of <see cref="BrowserNatTests"/> runs behind an endpoint-independent NAT (home, with carol).</summary>
    public static LabHost Hank { get; private set; } = null!;

    /// <summary>Where the browser runs behind a symmetric NAT (carrier, with erin).</summary>
    public static LabHost Ivy { get; private set; } = null!;

    /// <summary>Where the browser runs on the network that blocks UDP (hotel, with frank).</summary>
    public static LabHost Judy { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task BuildAsync()
    {
        var logger = Log.CreateLogger("NatLab");
        var lab = NatLabNetwork.Create(logger);
        s_lab = lab;
        var office = lab.AddLan("office", NatType.EndpointIndependent);
        Alice = office.AddHost("alice");
        Bob = office.AddHost("bob");
        var home = lab.AddLan("home", NatType.EndpointIndependent);
        Carol = home.AddHost("carol");
        Dave = lab.AddLan("mobile", NatType.AddressAndPortDependent).AddHost("dave");
        var carrier = lab.AddLan("carrier", NatType.AddressAndPortDependent);
        Erin = carrier.AddHost("erin");
        var hotel = lab.AddLan("hotel", NatType.UdpBlocked);
        Frank = hotel.AddHost("frank");
        Grace = lab.AddLan("datacenter", NatType.None).AddHost("grace");
        Hank = home.AddHost("hank");
        Ivy = carrier.AddHost("ivy");
        Judy = hotel.AddHost("judy");
        s_coturn = await lab.StartCoturnAsync();
    }

    [OneTimeTearDown]
    public void Delete()
    {
        s_lab?.Dispose();
        s_lab = null;
        s_coturn = null;
    }
}

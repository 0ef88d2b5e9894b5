using System.Net;
using System.Net.Sockets;

namespace P2p.WebRtc.Net;

/// <summary>
/// Where an ICE agent gets its local addresses and binds its sockets (<see cref="Ice.IceAgentOptions.SocketFactory"/>).
/// The default is the machine's UDP stack; a virtual network implements it to run ICE through simulated NATs
/// and links in virtual time. TURN and TCP transports plug in here.
/// </summary>
public interface IDatagramSocketFactory
{
    /// <summary>
    /// The unicast addresses of this host's interfaces that are up, loopback and link-local included;
    /// the agent chooses among them (<see cref="Ice.IceAgentOptions.AddressFilter"/>).
    /// </summary>
    IReadOnlyList<IPAddress> GetLocalAddresses();

    /// <summary>Binds a socket to <paramref name="localAddress"/> on an ephemeral port.</summary>
    /// <param name="localAddress">One of <see cref="GetLocalAddresses"/>.</param>
    /// <returns>The bound socket, not yet started.</returns>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    IDatagramSocket Bind(IPAddress localAddress);
}

using System.Net;

namespace P2p.Testing.NatLab;

/// <summary>A host on a lab LAN: a namespace of its own with one interface (<c>eth0</c>) and a default route to the LAN's router.</summary>
public sealed class LabHost
{
    internal LabHost(string name, LabLan lan, NetworkNamespace networkNamespace, IPAddress address)
    {
        Name = name;
        Lan = lan;
        Namespace = networkNamespace;
        Address = address;
        Sockets = new NamespaceSocketFactory(networkNamespace);
    }

    /// <summary>The host's name in the lab (e.g. <c>alice</c>).</summary>
    public string Name { get; }

    /// <summary>The LAN it is on.</summary>
    public LabLan Lan { get; }

    /// <summary>Its namespace.</summary>
    public NetworkNamespace Namespace { get; }

    /// <summary>Its only address (a host candidate's address).</summary>
    public IPAddress Address { get; }

    /// <summary>Sockets inside the host: give them to ICE (<c>IceAgentOptions.SocketFactory</c> and <c>TcpConnector</c>).</summary>
    public NamespaceSocketFactory Sockets { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Address} on {Lan})";
}

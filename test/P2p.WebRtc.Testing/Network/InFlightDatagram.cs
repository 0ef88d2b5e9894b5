using System.Net;

namespace P2p.WebRtc.Testing.Network;

/// <summary>A datagram on its way: where it arrives, from which (possibly translated) source, when.</summary>
internal sealed class InFlightDatagram(byte[] data, VirtualHost host, IPEndPoint source, IPEndPoint destination)
{
    public byte[] Data { get; } = data;

    public VirtualHost Host { get; } = host;

    public IPEndPoint Source { get; } = source;

    public IPEndPoint Destination { get; } = destination;
}

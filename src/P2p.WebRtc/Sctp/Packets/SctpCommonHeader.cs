using System.Buffers.Binary;

namespace P2p.WebRtc.Sctp.Packets;

/// <summary>
/// The 12-byte SCTP common header (RFC 9260 §3.1): source port, destination port, verification tag
/// and checksum. Over DTLS (RFC 8261 §5) the ports are those of the SDP's a=sctp-port.
/// </summary>
internal readonly record struct SctpCommonHeader(ushort SourcePort, ushort DestinationPort, uint VerificationTag)
{
    /// <summary>Size of the common header in bytes.</summary>
    public const int Size = 12;

    /// <summary>Reads the header; false when the packet is shorter than a header.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out SctpCommonHeader header)
    {
        if (packet.Length < Size)
        {
            header = default;
            return false;
        }

        header = new SctpCommonHeader(
            BinaryPrimitives.ReadUInt16BigEndian(packet),
            BinaryPrimitives.ReadUInt16BigEndian(packet[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[4..]));
        return true;
    }

    /// <summary>Writes the header with a zero checksum (see <see cref="Crc32c.Stamp"/>).</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], VerificationTag);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], 0);
    }
}

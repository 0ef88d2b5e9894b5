using System.Buffers.Binary;

namespace P2p.Core.Framing;

/// <summary>
/// The 10-byte header of every group message frame (docs/protocol.md, "Group message framing"):
/// <code>
///  0  | version (4 bits) | kind (4 bits) |
///  1  | flags: 0x01 = final fragment     |
///  2  | message id (uint32, big endian)  |
///  6  | total message length (uint32, big endian) |
///  10 | fragment bytes ...
/// </code>
/// A message larger than the channel's maximum message size is sent as several frames with the
/// same kind, id and total length; all but the last have the final flag clear. Frames of different
/// messages may interleave; the frames of one message arrive in order (the channel is ordered).
/// </summary>
/// <param name="Kind">The frame's kind.</param>
/// <param name="Final">True on the last (or only) fragment of a message.</param>
/// <param name="MessageId">Sender-chosen id of a broadcast or request; for a reply or error, the request's id.</param>
/// <param name="TotalLength">The whole message's length in bytes.</param>
public readonly record struct FrameHeader(FrameKind Kind, bool Final, uint MessageId, uint TotalLength)
{
    /// <summary>The header's size in bytes.</summary>
    public const int Size = 10;

    /// <summary>The framing version this code writes and accepts.</summary>
    public const byte Version = 1;

    private const byte FinalFlag = 0x01;

    /// <summary>Writes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"A frame header needs {Size} bytes.", nameof(destination));
        }

        destination[0] = (byte)((Version << 4) | (byte)Kind);
        destination[1] = Final ? FinalFlag : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], MessageId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[6..], TotalLength);
    }

    /// <summary>
    /// Reads the header of a message frame (kinds 1-4). Returns false for a frame shorter than the header, another
    /// version, an unknown kind or unknown flags (never throws). <see cref="FrameKind.Identity"/> frames are not message
    /// frames: the identity handshake reads them itself, and the reassembler drops them like unknown kinds.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out FrameHeader header)
    {
        header = default;
        if (frame.Length < Size || frame[0] >> 4 != Version || (frame[1] & ~FinalFlag) != 0)
        {
            return false;
        }

        var kind = (FrameKind)(frame[0] & 0x0f);
        if (kind is < FrameKind.Broadcast or > FrameKind.Error)
        {
            return false;
        }

        header = new FrameHeader(
            kind,
            (frame[1] & FinalFlag) != 0,
            BinaryPrimitives.ReadUInt32BigEndian(frame[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(frame[6..]));
        return true;
    }
}

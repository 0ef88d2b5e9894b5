using System.Buffers.Binary;
using System.Text;
using P2p.Core.Framing;

namespace P2p.Core.Routing;

/// <summary>
/// A route frame (frame kind 6; docs/protocol.md, "Relayed members (extension)"): type, Forwarded flag, origin and
/// destination member ids, and a body by type. Reading never throws; writing checks its input.
/// </summary>
/// <param name="Type">The frame's type.</param>
/// <param name="Forwarded">Set by the relay on the second hop.</param>
/// <param name="Origin">The member the frame is from.</param>
/// <param name="Destination">The member the frame is for.</param>
/// <param name="Body">The body (its layout depends on <paramref name="Type"/>).</param>
internal readonly ref struct RouteFrame(RouteFrameType Type, bool Forwarded, string Origin, string Destination, ReadOnlySpan<byte> Body)
{
    /// <summary>Byte 0 of every route frame: version 1, kind 6.</summary>
    public const byte Marker = (FrameHeader.Version << 4) | (byte)FrameKind.Route;

    /// <summary>The largest route frame, in bytes.</summary>
    public const int MaxSize = 65536;

    /// <summary>The Forwarded flag (byte 2).</summary>
    public const byte ForwardedFlag = 0x01;

    /// <summary>The length of a Data body before its message frame: seq, offset and an empty signature field.</summary>
    public const int DataPrefixSize = 4 + 4 + 2;

    private const int MaxIdBytes = 255;

    public RouteFrameType Type { get; } = Type;

    public bool Forwarded { get; } = Forwarded;

    public string Origin { get; } = Origin;

    public string Destination { get; } = Destination;

    public ReadOnlySpan<byte> Body { get; } = Body;

    /// <summary>True when <paramref name="frame"/> starts like a route frame (byte 0).</summary>
    public static bool IsRouteFrame(ReadOnlySpan<byte> frame) => frame.Length > 0 && frame[0] == Marker;

    /// <summary>Reads a route frame's header; false (with a description) for anything malformed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out RouteFrame route, out string problem)
    {
        route = default;
        if (frame.Length < 6 || frame[0] != Marker)
        {
            problem = "too short for a route frame";
            return false;
        }

        if (frame[1] is < (byte)RouteFrameType.Data or > (byte)RouteFrameType.Unreachable)
        {
            problem = $"unknown route frame type {frame[1]}";
            return false;
        }

        if ((frame[2] & ~ForwardedFlag) != 0 || frame[3] != 0)
        {
            problem = "unknown flags or reserved bits";
            return false;
        }

        var at = 4;
        if (!TryReadId(frame, ref at, out var origin) || !TryReadId(frame, ref at, out var destination))
        {
            problem = "an empty, truncated or non-UTF-8 member id";
            return false;
        }

        route = new RouteFrame((RouteFrameType)frame[1], (frame[2] & ForwardedFlag) != 0, origin, destination, frame[at..]);
        problem = "";
        return true;
    }

    /// <summary>The size of a header with these ids.</summary>
    public static int HeaderSize(string origin, string destination) =>
        4 + 1 + IdLength(origin) + 1 + IdLength(destination);

    /// <summary>Writes the header; returns its length.</summary>
    public static int WriteHeader(Span<byte> destination, RouteFrameType type, bool forwarded, string origin, string destinationId)
    {
        destination[0] = Marker;
        destination[1] = (byte)type;
        destination[2] = forwarded ? ForwardedFlag : (byte)0;
        destination[3] = 0;
        var at = 4;
        at += WriteId(destination[at..], origin);
        at += WriteId(destination[at..], destinationId);
        return at;
    }

    /// <summary>Builds a whole frame whose body is a 32-bit number followed by a <c>u16 + bytes</c> field (Ack, Probe, ProbeReply).</summary>
    public static byte[] Create(RouteFrameType type, bool forwarded, string origin, string destination, uint number, ReadOnlySpan<byte> field)
    {
        var frame = new byte[HeaderSize(origin, destination) + 4 + 2 + field.Length];
        var at = WriteHeader(frame, type, forwarded, origin, destination);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(at), number);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at + 4), (ushort)field.Length);
        field.CopyTo(frame.AsSpan(at + 6));
        return frame;
    }

    /// <summary>Builds an Unreachable frame.</summary>
    public static byte[] CreateUnreachable(bool forwarded, string origin, string destination, uint reference, UnreachableReason reason)
    {
        var frame = new byte[HeaderSize(origin, destination) + 5];
        var at = WriteHeader(frame, RouteFrameType.Unreachable, forwarded, origin, destination);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(at), reference);
        frame[at + 4] = (byte)reason;
        return frame;
    }

    /// <summary>Reads a body made of a 32-bit number and a <c>u16 + bytes</c> field, with nothing after.</summary>
    public bool TryReadNumberAndField(out uint number, out ReadOnlySpan<byte> field)
    {
        number = 0;
        field = default;
        if (Body.Length < 6)
        {
            return false;
        }

        number = BinaryPrimitives.ReadUInt32BigEndian(Body);
        var length = BinaryPrimitives.ReadUInt16BigEndian(Body[4..]);
        if (Body.Length != 6 + length)
        {
            return false;
        }

        field = Body.Slice(6, length);
        return true;
    }

    /// <summary>Reads an Unreachable body.</summary>
    public bool TryReadUnreachable(out uint reference, out UnreachableReason reason)
    {
        reference = 0;
        reason = default;
        if (Body.Length != 5 || Body[4] is < (byte)UnreachableReason.NoRoute or > (byte)UnreachableReason.BadSignature)
        {
            return false;
        }

        reference = BinaryPrimitives.ReadUInt32BigEndian(Body);
        reason = (UnreachableReason)Body[4];
        return true;
    }

    /// <summary>Reads a Data body: seq, offset, signature and the message frame inside (header and fragment).</summary>
    public bool TryReadData(out uint seq, out uint offset, out ReadOnlySpan<byte> signature, out FrameHeader header, out ReadOnlySpan<byte> fragment)
    {
        seq = 0;
        offset = 0;
        signature = default;
        header = default;
        fragment = default;
        if (Body.Length < DataPrefixSize)
        {
            return false;
        }

        seq = BinaryPrimitives.ReadUInt32BigEndian(Body);
        offset = BinaryPrimitives.ReadUInt32BigEndian(Body[4..]);
        var length = BinaryPrimitives.ReadUInt16BigEndian(Body[8..]);
        if (Body.Length < DataPrefixSize + length)
        {
            return false;
        }

        signature = Body.Slice(DataPrefixSize, length);
        var inner = Body[(DataPrefixSize + length)..];
        if (!FrameHeader.TryRead(inner, out header))
        {
            return false;
        }

        fragment = inner[FrameHeader.Size..];
        return (ulong)offset + (ulong)fragment.Length <= header.TotalLength;
    }

    private static bool TryReadId(ReadOnlySpan<byte> frame, ref int at, out string id)
    {
        id = "";
        if (frame.Length - at < 1)
        {
            return false;
        }

        var length = frame[at];
        if (length == 0 || frame.Length - at - 1 < length)
        {
            return false;
        }

        try
        {
            id = StrictUtf8.GetString(frame.Slice(at + 1, length));
        }
        catch (ArgumentException)
        {
            return false;
        }

        at += 1 + length;
        return true;
    }

    private static int IdLength(string id)
    {
        var length = Encoding.UTF8.GetByteCount(id);
        if (length is 0 or > MaxIdBytes)
        {
            throw new ArgumentException($"A member id in a route frame must be 1-{MaxIdBytes} UTF-8 bytes.", nameof(id));
        }

        return length;
    }

    private static int WriteId(Span<byte> destination, string id)
    {
        var length = Encoding.UTF8.GetBytes(id, destination[1..]);
        destination[0] = (byte)length;
        return 1 + length;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}

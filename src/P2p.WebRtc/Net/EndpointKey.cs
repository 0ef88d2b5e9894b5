using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace P2p.WebRtc.Net;

/// <summary>
/// An IP transport address (family, address, port) as a small value type, built from a received
/// <see cref="SocketAddress"/> without allocating, so the data path can check "is this datagram from a
/// validated peer?" per datagram for free. The IPv6 scope id is not part of the key.
/// </summary>
internal readonly struct EndpointKey : IEquatable<EndpointKey>
{
    private readonly ulong _high;
    private readonly ulong _low;
    private readonly ushort _port;
    private readonly byte _family; // 4 or 6; 0 = none

    private EndpointKey(ulong high, ulong low, ushort port, byte family)
    {
        _high = high;
        _low = low;
        _port = port;
        _family = family;
    }

    public bool IsValid => _family != 0;

    public int Port => _port;

    public static EndpointKey From(IPEndPoint endPoint)
    {
        Span<byte> b = stackalloc byte[16];
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            endPoint.Address.TryWriteBytes(b, out _);
            return new EndpointKey(0, BinaryPrimitives.ReadUInt32BigEndian(b), (ushort)endPoint.Port, 4);
        }

        endPoint.Address.TryWriteBytes(b, out _);
        return new EndpointKey(BinaryPrimitives.ReadUInt64BigEndian(b), BinaryPrimitives.ReadUInt64BigEndian(b[8..]), (ushort)endPoint.Port, 6);
    }

    /// <summary>Reads a socket address as filled in by <c>Socket.ReceiveFrom</c>: port at bytes 2–3, IPv4 at 4–7, IPv6 at 8–23 on every platform.</summary>
    public static EndpointKey From(SocketAddress address)
    {
        var b = address.Buffer.Span;
        switch (address.Family)
        {
            case AddressFamily.InterNetwork when address.Size >= 8:
                return new EndpointKey(0, BinaryPrimitives.ReadUInt32BigEndian(b[4..]), BinaryPrimitives.ReadUInt16BigEndian(b[2..]), 4);
            case AddressFamily.InterNetworkV6 when address.Size >= 24:
                return new EndpointKey(BinaryPrimitives.ReadUInt64BigEndian(b[8..]), BinaryPrimitives.ReadUInt64BigEndian(b[16..]), BinaryPrimitives.ReadUInt16BigEndian(b[2..]), 6);
            default:
                return default;
        }
    }

    public IPEndPoint ToIPEndPoint()
    {
        if (_family == 4)
        {
            Span<byte> v4 = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(v4, (uint)_low);
            return new IPEndPoint(new IPAddress(v4), _port);
        }

        Span<byte> v6 = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(v6, _high);
        BinaryPrimitives.WriteUInt64BigEndian(v6[8..], _low);
        return new IPEndPoint(new IPAddress(v6), _port);
    }

    public bool Equals(EndpointKey other) => _low == other._low && _high == other._high && _port == other._port && _family == other._family;

    public override bool Equals(object? obj) => obj is EndpointKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _low, _port, _family);

    public override string ToString() => _family == 0 ? "(none)" : ToIPEndPoint().ToString();

    public static bool operator ==(EndpointKey left, EndpointKey right) => left.Equals(right);

    public static bool operator !=(EndpointKey left, EndpointKey right) => !left.Equals(right);
}

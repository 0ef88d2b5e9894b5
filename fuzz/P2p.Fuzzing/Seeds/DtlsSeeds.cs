using System.Buffers.Binary;
using P2p.Fuzzing.Support;

namespace P2p.Fuzzing.Seeds;

/// <summary>DTLS 1.2 records after the handshake (RFC 6347 §4.1), in the target's plaintext form.</summary>
internal static class DtlsSeeds
{
    public static IEnumerable<Seed> All()
    {
        var data = Record(23, 1, 1, [0x13, 0x88, 0x13, 0x88, 0, 0, 0, 1]);
        var alert = Record(21, 1, 2, [1, 0]);
        var finished = Record(22, 1, 3, [20, 0, 0, 12, 0, 1, 0, 0, 0, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        var clientHello = Record(22, 1, 4, [1, 0, 0, 2, 0, 2, 0, 0, 0, 0, 0, 2, 0xFE, 0xFD]);
        var epoch0Ccs = Record(20, 0, 9, [1]);
        var epoch0KeyExchange = Record(22, 0, 3, [16, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 1, 0]);
        yield return new("client-data-alert", Seed(0, [data, alert]));
        yield return new("server-repeated-flight", Seed(1, [[.. epoch0KeyExchange, .. epoch0Ccs, .. finished], data]));
        yield return new("renegotiation", Seed(0, [clientHello, [.. data, .. data]]));
    }

    private static byte[] Record(byte type, ushort epoch, ulong sequence, byte[] fragment)
    {
        var record = new byte[13 + fragment.Length];
        record[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(1), 0xFEFD);
        BinaryPrimitives.WriteUInt64BigEndian(record.AsSpan(3), ((ulong)epoch << 48) | sequence);
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(11), (ushort)fragment.Length);
        fragment.CopyTo(record, 13);
        return record;
    }

    private static byte[] Seed(byte mode, byte[][] datagrams) => [mode, .. FuzzInput.Join(datagrams)];
}

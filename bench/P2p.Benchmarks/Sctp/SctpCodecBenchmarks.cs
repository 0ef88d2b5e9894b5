using BenchmarkDotNet.Attributes;
using P2p.WebRtc.Sctp;
using P2p.WebRtc.Sctp.Chunks;
using P2p.WebRtc.Sctp.Packets;

namespace P2p.Benchmarks.Sctp;

/// <summary>
/// Micro benchmarks of the SCTP wire codec and of one packet through a pair of associations.
/// Run: dotnet run -c Release --project bench/P2p.Benchmarks -- micro --filter '*Sctp*'
/// </summary>
[MemoryDiagnoser]
public class SctpCodecBenchmarks
{
    private readonly byte[] _payload = new byte[1172];
    private readonly byte[] _packet = new byte[1200];
    private readonly byte[] _sack = new byte[64];
    private readonly byte[] _scratch = new byte[1200];
    private readonly System.IO.Hashing.Crc32 _crc = Crc32c.CreateScratch();
    private readonly GapAckBlock[] _gaps = [new(2, 10), new(12, 40), new(42, 43), new(50, 90)];
    private int _dataLength;
    private int _sackLength;
    private SctpAssociation _a = null!;
    private SctpAssociation _b = null!;
    private TimeSpan _now;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_payload);
        new SctpCommonHeader(5000, 5000, 0x01020304).Write(_packet);
        _dataLength = SctpCommonHeader.Size + DataChunk.Write(_packet.AsSpan(SctpCommonHeader.Size), 3, 1, 0, 0, 53, _payload);
        Crc32c.Stamp(_packet.AsSpan(0, _dataLength));
        _sackLength = SackChunk.Write(_sack, 1000, 1 << 20, _gaps, [5, 6]);

        _a = new SctpAssociation();
        _b = new SctpAssociation();
        _a.Connect(_now);
        _b.Connect(_now);
        for (var i = 0; i < 10; i++)
        {
            Pump(_a, _b);
            Pump(_b, _a);
        }

        if (_a.State != SctpAssociationState.Established)
        {
            throw new InvalidOperationException("not connected");
        }
    }

    [Benchmark]
    public int Crc32c1200Bytes() => (int)System.IO.Hashing.Crc32.HashToUInt32(System.IO.Hashing.Crc32ParameterSet.Crc32C, _packet);

    [Benchmark]
    public int DataChunkEncode() => DataChunk.Write(_scratch, 3, 12345, 1, 2, 53, _payload);

    [Benchmark]
    public uint DataChunkDecode()
    {
        var it = new ChunkIterator(_packet.AsSpan(SctpCommonHeader.Size, _dataLength - SctpCommonHeader.Size));
        it.MoveNext(out var c);
        return DataChunk.TryParse(c, out var d) ? d.Tsn + (uint)d.UserData.Length : 0;
    }

    [Benchmark]
    public int SackEncode() => SackChunk.Write(_scratch, 1000, 1 << 20, _gaps, [5, 6]);

    [Benchmark]
    public int SackDecode()
    {
        var it = new ChunkIterator(_sack.AsSpan(0, _sackLength));
        it.MoveNext(out var c);
        if (!SackChunk.TryParse(c, out var s))
        {
            return -1;
        }

        var sum = 0;
        for (var i = 0; i < s.GapAckBlockCount; i++)
        {
            sum += s.GetGapAckBlock(i).End;
        }

        return sum;
    }

    /// <summary>Common header + one full DATA chunk + CRC32c over 1200 bytes.</summary>
    [Benchmark]
    public int PacketBuildWithCrc32c()
    {
        new SctpCommonHeader(5000, 5000, 0x01020304).Write(_scratch);
        var n = SctpCommonHeader.Size + DataChunk.Write(_scratch.AsSpan(SctpCommonHeader.Size), 3, 1, 0, 0, 53, _payload);
        Crc32c.Stamp(_scratch.AsSpan(0, n));
        return n;
    }

    /// <summary>CRC32c check + chunk walk + DATA decode of a 1200-byte packet.</summary>
    [Benchmark]
    public int PacketParseWithCrc32c()
    {
        if (!Crc32c.Verify(_packet.AsSpan(0, _dataLength), _crc))
        {
            return -1;
        }

        SctpCommonHeader.TryRead(_packet, out var h);
        var it = new ChunkIterator(_packet.AsSpan(SctpCommonHeader.Size, _dataLength - SctpCommonHeader.Size));
        var n = 0;
        while (it.MoveNext(out var c))
        {
            if (DataChunk.TryParse(c, out var d))
            {
                n += d.UserData.Length;
            }
        }

        return n + (int)h.VerificationTag;
    }

    /// <summary>
    /// One 1172-byte message through two associations: Send, build the DATA packet, handle it at the
    /// peer (delivery included), and the SACK back. The per-packet cost of the SCTP layer.
    /// </summary>
    [Benchmark]
    public int AssociationMessageRoundTrip()
    {
        _now += TimeSpan.FromMicroseconds(10);
        _a.Send(0, 53, _payload, default, _now);
        var n = Pump(_a, _b);
        _b.HandleTimeout(_now + TimeSpan.FromSeconds(1)); // delayed SACK due
        n += Pump(_b, _a);
        while (_b.TryDequeueEvent(out _))
        {
        }

        while (_a.TryDequeueEvent(out _))
        {
        }

        return n;
    }

    private int Pump(SctpAssociation from, SctpAssociation to)
    {
        var total = 0;
        int n;
        while ((n = from.BuildPacket(_scratch, _now)) > 0)
        {
            to.HandlePacket(_scratch.AsSpan(0, n), _now);
            total += n;
        }

        return total;
    }
}

using System.Buffers.Binary;
using P2p.WebRtc.Sctp;
using P2p.WebRtc.Sctp.Chunks;
using P2p.WebRtc.Sctp.ErrorCauses;
using P2p.WebRtc.Sctp.Packets;
using P2p.WebRtc.Sctp.Parameters;

namespace P2p.WebRtc.Tests.Sctp;

/// <summary>Encode/decode round trips and malformed input for every chunk and parameter type.</summary>
public class CodecTests
{
    private static RawChunk Single(byte[] bytes, int length)
    {
        var it = new ChunkIterator(bytes.AsSpan(0, length));
        Assert.That(it.MoveNext(out var c), Is.True);
        return c;
    }

    [Test]
    public void Crc32c_known_vectors()
    {
        // iSCSI (RFC 3720 B.4) CRC32c vectors.
        Assert.That(System.IO.Hashing.Crc32.HashToUInt32(System.IO.Hashing.Crc32ParameterSet.Crc32C, new byte[32]), Is.EqualTo(0x8A9136AAu));
        Assert.That(System.IO.Hashing.Crc32.HashToUInt32(System.IO.Hashing.Crc32ParameterSet.Crc32C, "123456789"u8), Is.EqualTo(0xE3069283u));
    }

    [Test]
    public void Packet_checksum_matches_independently_produced_packets()
    {
        // A header-only packet and an INIT built by other SCTP implementations (ports 5000/5000, tag 0).
        byte[] headerOnly = [0x13, 0x88, 0x13, 0x88, 0, 0, 0, 0, 0x06, 0xa9, 0x00, 0xe1];
        byte[] init =
        [
            0x13, 0x88, 0x13, 0x88, 0x00, 0x00, 0x00, 0x00, 0x16, 0xde, 0x25, 0x9a,
            0x01, 0x00, 0x00, 0x14, 0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0xa0, 0x00,
            0x04, 0x00, 0x04, 0x00, 0x00, 0x00, 0x10, 0x00,
        ];
        var scratch = Crc32c.CreateScratch();
        Assert.That(Crc32c.Verify(headerOnly, scratch), Is.True);
        Assert.That(Crc32c.Verify(init, scratch), Is.True);
        var copy = (byte[])init.Clone();
        Crc32c.Stamp(copy);
        Assert.That(copy, Is.EqualTo(init));
        copy[20] ^= 1;
        Assert.That(Crc32c.Verify(copy, scratch), Is.False);
        Assert.That(InitChunk.TryParse(Single(init[12..], 20), out var parsed), Is.True);
        Assert.That(parsed.InitiateTag, Is.EqualTo(0x12345678u));
        Assert.That(parsed.ARwnd, Is.EqualTo(106496u));
        Assert.That(parsed.OutboundStreams, Is.EqualTo(1024));
        Assert.That(parsed.InitialTsn, Is.EqualTo(0x1000u));
    }

    [Test]
    public void Common_header_round_trip()
    {
        var b = new byte[12];
        new SctpCommonHeader(5000, 5001, 0xDEADBEEF).Write(b);
        Assert.That(SctpCommonHeader.TryRead(b, out var h), Is.True);
        Assert.That(h, Is.EqualTo(new SctpCommonHeader(5000, 5001, 0xDEADBEEF)));
        Assert.That(SctpCommonHeader.TryRead(b.AsSpan(0, 11), out _), Is.False);
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(1172)]
    public void Data_round_trip(int length)
    {
        var payload = SctpTestUtil.Payload(length, length);
        var b = new byte[2000];
        var flags = (byte)(DataChunk.FlagBeginning | DataChunk.FlagUnordered | DataChunk.FlagImmediate);
        var n = DataChunk.Write(b, flags, 0xFFFFFFF0, 65535, 17, 53, payload);
        Assert.That(n % 4, Is.Zero);
        Assert.That(n, Is.EqualTo((16 + length + 3) & ~3));
        Assert.That(DataChunk.TryParse(Single(b, n), out var d), Is.True);
        Assert.That((d.Tsn, d.StreamId, d.Ssn, d.Ppid), Is.EqualTo((0xFFFFFFF0u, (ushort)65535, (ushort)17, 53u)));
        Assert.That(d.Beginning && d.Unordered && d.Immediate && !d.End, Is.True);
        Assert.That(d.UserData.ToArray(), Is.EqualTo(payload));
    }

    [Test]
    public void Data_truncated_is_rejected()
    {
        var b = new byte[16];
        ChunkWriter.Header(b, ChunkType.Data, 3, 15);
        Assert.That(DataChunk.TryParse(Single(b, 15), out _), Is.False);
    }

    [Test]
    public void Init_and_init_ack_round_trip_with_parameters()
    {
        var p = new byte[64];
        var n = SupportedExtensionsParameter.Write(p, [130, 192]);
        n += ForwardTsnSupportedParameter.Write(p.AsSpan(n));
        n += StateCookieParameter.Write(p.AsSpan(n), [1, 2, 3, 4, 5]);
        var b = new byte[256];
        var len = InitChunk.Write(b, 0xAABBCCDD, 4 << 20, 65535, 1024, 77, p.AsSpan(0, n));
        Assert.That(InitChunk.TryParse(Single(b, len), out var init), Is.True);
        Assert.That((init.InitiateTag, init.ARwnd, init.OutboundStreams, init.InboundStreams, init.InitialTsn), Is.EqualTo((0xAABBCCDDu, 4u << 20, (ushort)65535, (ushort)1024, 77u)));
        var it = new ParameterIterator(init.Parameters);
        Assert.That(it.MoveNext(out var ext) && ext.Type == ParameterType.SupportedExtensions && SupportedExtensionsParameter.Lists(ext.Value, ChunkType.ReConfig) && SupportedExtensionsParameter.Lists(ext.Value, ChunkType.ForwardTsn), Is.True);
        Assert.That(it.MoveNext(out var fwd) && fwd.Type == ParameterType.ForwardTsnSupported && fwd.Value.IsEmpty, Is.True);
        Assert.That(it.MoveNext(out var cookie) && cookie.Type == ParameterType.StateCookie, Is.True);
        Assert.That(cookie.Value.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4, 5 }));
        Assert.That(it.MoveNext(out _) || it.Malformed, Is.False);
        Assert.That(InitAckChunk.TryParse(Single(b, len), out _), Is.False, "an INIT is not an INIT ACK");

        len = InitAckChunk.Write(b, 1, 2, 3, 4, 5, p.AsSpan(0, n));
        Assert.That(InitAckChunk.TryParse(Single(b, len), out var ack) && ack.Fields.InitiateTag == 1 && ack.Fields.InitialTsn == 5, Is.True);
    }

    [Test]
    public void Sack_round_trip_and_malformed_counts()
    {
        var b = new byte[256];
        GapAckBlock[] gaps = [new(2, 5), new(9, 9)];
        uint[] dups = [7, 8, 9];
        var n = SackChunk.Write(b, 1000, 65536, gaps, dups);
        Assert.That(n, Is.EqualTo(SackChunk.SizeOf(2, 3)));
        Assert.That(SackChunk.TryParse(Single(b, n), out var s), Is.True);
        Assert.That((s.CumulativeTsnAck, s.ARwnd, s.GapAckBlockCount, s.DuplicateTsnCount), Is.EqualTo((1000u, 65536u, 2, 3)));
        Assert.That(s.GetGapAckBlock(1), Is.EqualTo(new GapAckBlock(9, 9)));
        Assert.That(s.GetDuplicateTsn(2), Is.EqualTo(9u));
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(12), 50); // claims 50 blocks
        Assert.That(SackChunk.TryParse(Single(b, n), out _), Is.False);
    }

    [Test]
    public void Forward_tsn_round_trip()
    {
        var b = new byte[64];
        var n = ForwardTsnChunk.Write(b, 0x10, [new ForwardTsnStream(1, 2), new ForwardTsnStream(65535, 65535)]);
        Assert.That(ForwardTsnChunk.TryParse(Single(b, n), out var f), Is.True);
        Assert.That((f.NewCumulativeTsn, f.StreamCount), Is.EqualTo((0x10u, 2)));
        Assert.That(f.GetStream(1), Is.EqualTo(new ForwardTsnStream(65535, 65535)));
        ChunkWriter.Header(b, ChunkType.ForwardTsn, 0, 10);
        Assert.That(ForwardTsnChunk.TryParse(Single(b, 10), out _), Is.False);
    }

    [Test]
    public void Re_config_parameters_round_trip()
    {
        var p = new byte[128];
        var n = OutgoingSsnResetRequestParameter.Write(p, 10, 20, 30, [1, 2, 3]);
        n += new ReconfigurationResponseParameter(11, ReconfigurationResult.InProgress).Write(p.AsSpan(n));
        var b = new byte[160];
        var len = ReConfigChunk.Write(b, p.AsSpan(0, n));
        var it = ReConfigChunk.Parameters(Single(b, len));
        Assert.That(it.MoveNext(out var first), Is.True);
        Assert.That(OutgoingSsnResetRequestParameter.TryParse(first, out var req), Is.True);
        Assert.That((req.RequestSequenceNumber, req.ResponseSequenceNumber, req.SendersLastAssignedTsn), Is.EqualTo((10u, 20u, 30u)));
        Assert.That(req.GetStreams(), Is.EqualTo(new ushort[] { 1, 2, 3 }));
        Assert.That(it.MoveNext(out var second), Is.True);
        Assert.That(ReconfigurationResponseParameter.TryParse(second, out var resp), Is.True);
        Assert.That(resp, Is.EqualTo(new ReconfigurationResponseParameter(11, ReconfigurationResult.InProgress)));

        var q = new byte[32];
        var m = IncomingSsnResetRequestParameter.Write(q, 5, [9]);
        Assert.That(IncomingSsnResetRequestParameter.TryParse(new ParameterIteratorHelper(q.AsSpan(0, m)).First(), out var inc) && inc.RequestSequenceNumber == 5 && inc.StreamCount == 1, Is.True);
        m = SsnTsnResetRequestParameter.Write(q, 6);
        Assert.That(SsnTsnResetRequestParameter.TryParse(new ParameterIteratorHelper(q.AsSpan(0, m)).First(), out var seq) && seq == 6, Is.True);
        m = AddStreamsRequestParameter.Write(q, ParameterType.AddOutgoingStreamsRequest, 7, 100);
        Assert.That(AddStreamsRequestParameter.TryParse(new ParameterIteratorHelper(q.AsSpan(0, m)).First(), out var seq2, out var count) && seq2 == 7 && count == 100, Is.True);
    }

    [Test]
    public void Control_chunks_round_trip()
    {
        var b = new byte[128];
        var n = HeartbeatChunk.Write(b, [1, 2, 3, 4, 5]);
        Assert.That(HeartbeatChunk.TryParse(Single(b, n), out var info) && info.SequenceEqual(new byte[] { 1, 2, 3, 4, 5 }), Is.True);
        var ack = new byte[128];
        var m = HeartbeatAckChunk.WriteEcho(ack, Single(b, n).Value);
        Assert.That(HeartbeatAckChunk.TryParse(Single(ack, m), out var echoed) && echoed.SequenceEqual(new byte[] { 1, 2, 3, 4, 5 }), Is.True);

        n = ShutdownChunk.Write(b, 0xABCDEF01);
        Assert.That(ShutdownChunk.TryParse(Single(b, n), out var cum) && cum == 0xABCDEF01, Is.True);
        Assert.That(Single(b, ShutdownAckChunk.Write(b)).Type, Is.EqualTo(ChunkType.ShutdownAck));
        var sc = Single(b, ShutdownCompleteChunk.Write(b, tagReflected: true));
        Assert.That(sc.Type == ChunkType.ShutdownComplete && sc.Flags == ShutdownCompleteChunk.FlagT, Is.True);
        Assert.That(Single(b, CookieAckChunk.Write(b)).Type, Is.EqualTo(ChunkType.CookieAck));
        n = CookieEchoChunk.Write(b, [9, 8, 7]);
        Assert.That(CookieEchoChunk.Cookie(Single(b, n)).ToArray(), Is.EqualTo(new byte[] { 9, 8, 7 }));

        var causes = new byte[64];
        var c = ErrorCause.WriteUserInitiatedAbort(causes, "bye");
        n = AbortChunk.Write(b, tagReflected: false, causes.AsSpan(0, c));
        var abort = Single(b, n);
        Assert.That(ErrorCause.Describe(AbortChunk.Causes(abort)), Is.EqualTo((SctpErrorCauseCode.UserInitiatedAbort, "UserInitiatedAbort: bye")));
        c = ErrorCause.WriteInvalidStreamIdentifier(causes, 3);
        n = ErrorChunk.Write(b, causes.AsSpan(0, c));
        Assert.That(ErrorCause.Describe(ErrorChunk.Causes(Single(b, n))).Code, Is.EqualTo(SctpErrorCauseCode.InvalidStreamIdentifier));
    }

    [Test]
    public void Chunk_iterator_stops_at_malformed_lengths()
    {
        byte[] zeroLength = [0, 3, 0, 0];
        var it = new ChunkIterator(zeroLength);
        Assert.That(it.MoveNext(out _), Is.False);
        Assert.That(it.Malformed, Is.True);
        byte[] tooLong = [0, 3, 0, 40, 1, 2, 3, 4];
        it = new ChunkIterator(tooLong);
        Assert.That(it.MoveNext(out _) || !it.Malformed, Is.False);
        byte[] twoThenGarbage = [11, 0, 0, 4, 11, 0, 0, 4, 1];
        it = new ChunkIterator(twoThenGarbage);
        Assert.That(it.MoveNext(out _) && it.MoveNext(out _), Is.True);
        Assert.That(it.MoveNext(out _), Is.False);
        Assert.That(it.Malformed, Is.True);
    }

    [Test]
    public void Unknown_types_upper_bits_decide_skip_and_report()
    {
        Assert.That((ChunkTypeExtensions.SkipAndContinue(0x3F), ChunkTypeExtensions.Report(0x3F)), Is.EqualTo((false, false)));
        Assert.That((ChunkTypeExtensions.SkipAndContinue(0x40), ChunkTypeExtensions.Report(0x40)), Is.EqualTo((false, true)));
        Assert.That((ChunkTypeExtensions.SkipAndContinue(0x80), ChunkTypeExtensions.Report(0x80)), Is.EqualTo((true, false)));
        Assert.That((ChunkTypeExtensions.SkipAndContinue(0xC0), ChunkTypeExtensions.Report(0xC0)), Is.EqualTo((true, true)));
        Assert.That((ParameterTypeExtensions.SkipAndContinue(0xC123), ParameterTypeExtensions.Report(0x4000)), Is.EqualTo((true, true)));
    }

    [Test]
    public void State_cookie_round_trip_and_rejects_forgery()
    {
        var key = new byte[32];
        new Random(1).NextBytes(key);
        var cookie = new P2p.WebRtc.Sctp.Handshake.StateCookie(1, 2, 3, 4, 5, 6, 7, true, false, 123456789);
        var bytes = cookie.Serialize(key);
        Assert.That(P2p.WebRtc.Sctp.Handshake.StateCookie.TryDeserialize(bytes, key, out var back), Is.True);
        Assert.That(back, Is.EqualTo(cookie));
        bytes[5] ^= 1;
        Assert.That(P2p.WebRtc.Sctp.Handshake.StateCookie.TryDeserialize(bytes, key, out _), Is.False);
        bytes[5] ^= 1;
        key[0] ^= 1;
        Assert.That(P2p.WebRtc.Sctp.Handshake.StateCookie.TryDeserialize(bytes, key, out _), Is.False);
        Assert.That(P2p.WebRtc.Sctp.Handshake.StateCookie.TryDeserialize(bytes.AsSpan(0, 10), key, out _), Is.False);
    }

    /// <summary>Returns the first parameter of an encoded list.</summary>
    private readonly ref struct ParameterIteratorHelper(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public RawParameter First()
        {
            var it = new ParameterIterator(_data);
            Assert.That(it.MoveNext(out var p), Is.True);
            return p;
        }
    }
}

using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using P2p.WebRtc.Sctp;
using P2p.WebRtc.Sctp.Chunks;
using P2p.WebRtc.Sctp.Packets;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

/// <summary>Garbage, truncated, forged, replayed and out-of-state input: dropped, never an exception, never a stall.</summary>
public class RobustnessTests
{
    private static (SctpSimulation Sim, uint TagOfA, uint TagOfB) Connected(int seed = 1)
    {
        uint tagOfA = 0, tagOfB = 0;
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options(), seed: seed);
        sim.Tamper = (fromA, p) =>
        {
            var tag = BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(4));
            if (tag != 0)
            {
                if (fromA)
                {
                    tagOfB = tag;
                }
                else
                {
                    tagOfA = tag;
                }
            }

            return p;
        };
        sim.ConnectBoth();
        sim.A.SendOk(sim, 0, 1, [1]);
        sim.B.SendOk(sim, 0, 1, [1]);
        sim.RunUntil(() => sim.EventsA.Messages().Any() && sim.EventsB.Messages().Any(), TimeSpan.FromSeconds(5));
        sim.Tamper = null;
        return (sim, tagOfA, tagOfB);
    }

    private static byte[] Packet(uint tag, params byte[][] chunks)
    {
        var p = new byte[12 + chunks.Sum(c => c.Length)];
        new SctpCommonHeader(5000, 5000, tag).Write(p);
        var pos = 12;
        foreach (var c in chunks)
        {
            c.CopyTo(p, pos);
            pos += c.Length;
        }

        Crc32c.Stamp(p);
        return p;
    }

    private static void TransferCompletes(SctpSimulation sim, Action<int>? duringEachStep = null)
    {
        var payloads = Enumerable.Range(0, 40).Select(i => SctpTestUtil.Payload(20_000, i)).ToList();
        foreach (var p in payloads)
        {
            sim.A.SendOk(sim, 1, 53, p);
        }

        var steps = 0;
        Assert.That(sim.RunUntil(() =>
        {
            duringEachStep?.Invoke(steps++);
            return sim.EventsB.Messages().Count(m => m.StreamId == 1) == 40;
        }, TimeSpan.FromMinutes(2)), Is.True);
        Assert.That(sim.EventsB.Messages().Where(m => m.StreamId == 1).Select(m => SctpTestUtil.Sha(m.Payload.Span)), Is.EqualTo(payloads.Select(p => SctpTestUtil.Sha(p))));
        Assert.That(sim.A.IsClosed || sim.B.IsClosed, Is.False);
    }

    [Test]
    public void Random_garbage_is_dropped_transfer_unaffected()
    {
        var (sim, _, _) = Connected();
        var rnd = new Random(9);
        var injected = 0;
        TransferCompletes(sim, _ =>
        {
            var junk = new byte[rnd.Next(0, 1500)];
            rnd.NextBytes(junk);
            sim.Inject(rnd.Next(2) == 0, junk);
            injected++;
        });
        Assert.That(injected, Is.GreaterThan(5));
        Assert.That(sim.B.GetMetrics().PacketsDropped + sim.A.GetMetrics().PacketsDropped, Is.EqualTo(injected));
    }

    [Test]
    public void Truncated_and_bit_flipped_packets_are_dropped_transfer_unaffected()
    {
        var (sim, _, _) = Connected();
        var rnd = new Random(3);
        sim.Tamper = (fromA, p) =>
        {
            if (fromA && rnd.NextDouble() < 0.2)
            {
                // Inject a damaged copy next to the real packet.
                var bad = rnd.Next(2) == 0 ? p[..rnd.Next(0, p.Length)] : (byte[])p.Clone();
                if (bad.Length == p.Length && bad.Length > 0)
                {
                    bad[rnd.Next(bad.Length)] ^= (byte)(1 << rnd.Next(8));
                }

                sim.B.HandlePacket(bad, sim.Now);
            }

            return p;
        };
        TransferCompletes(sim);
        Assert.That(sim.B.GetMetrics().PacketsDropped, Is.GreaterThan(0));
    }

    [Test]
    public void Replayed_packets_are_harmless()
    {
        var (sim, _, _) = Connected();
        var rnd = new Random(5);
        TransferCompletes(sim, step =>
        {
            if (step % 2 == 0 && sim.SentByA.Count > 0)
            {
                sim.Inject(true, sim.SentByA[rnd.Next(sim.SentByA.Count)]);
            }
        });
        Assert.That(sim.B.GetMetrics().DuplicateTsnsReceived, Is.GreaterThan(0));
        // Replayed handshake packets (INIT, COOKIE ECHO) must not reset or break the association.
        foreach (var p in sim.SentByA.Take(5))
        {
            sim.Inject(true, p);
        }

        sim.A.SendOk(sim, 2, 1, [5]);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Any(m => m.StreamId == 2), TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(sim.EventsB.Count(e => e.Type == SctpEventType.Connected), Is.EqualTo(1));
    }

    [Test]
    public void Wrong_verification_tag_is_dropped()
    {
        var (sim, _, tagOfB) = Connected();
        var data = new byte[20];
        DataChunk.Write(data, 3, 12345, 0, 0, 1, [1, 2, 3, 4]);
        var before = sim.B.GetMetrics().PacketsDropped;
        sim.Inject(true, Packet(tagOfB + 1, data));
        Assert.That(sim.B.GetMetrics().PacketsDropped, Is.EqualTo(before + 1));
        var abort = new byte[4];
        ChunkWriter.Header(abort, ChunkType.Abort, 0, 4);
        sim.Inject(true, Packet(tagOfB ^ 0x5555, abort));
        Assert.That(sim.B.IsClosed, Is.False, "a forged ABORT is ignored");
        sim.Inject(true, Packet(tagOfB, abort));
        Assert.That(sim.B.IsClosed, Is.True, "an ABORT with the right tag closes");
    }

    [Test]
    public void Chunks_in_the_wrong_state_are_ignored()
    {
        var sim = new SctpSimulation();
        var data = new byte[20];
        DataChunk.Write(data, 3, 1, 0, 0, 1, [1, 2, 3, 4]);
        var sack = new byte[16];
        SackChunk.Write(sack, 5, 1000, [], []);
        var cookieAck = new byte[4];
        CookieAckChunk.Write(cookieAck);
        var shutdownComplete = new byte[4];
        ShutdownCompleteChunk.Write(shutdownComplete, false);
        foreach (var chunk in new[] { data, sack, cookieAck, shutdownComplete })
        {
            sim.Inject(true, Packet(0x1234, chunk));
        }

        Assert.That(sim.B.State, Is.EqualTo(SctpAssociationState.Closed));
        Assert.That(sim.B.IsClosed, Is.False, "still listening");
        Assert.That(sim.EventsB, Is.Empty);
        sim.ConnectBoth();
    }

    [Test]
    public void Empty_data_chunk_aborts_with_no_user_data()
    {
        var (sim, _, tagOfB) = Connected();
        var data = new byte[16];
        DataChunk.Write(data, 3, 0x7777, 0, 0, 1, []);
        sim.Inject(true, Packet(tagOfB, data));
        Assert.That(sim.B.IsClosed, Is.True);
        Assert.That(sim.EventsB.Closed()!.Value.CloseInfo!.ErrorCause, Is.EqualTo(SctpErrorCauseCode.NoUserData));
        Assert.That(sim.RunUntil(() => sim.A.IsClosed, TimeSpan.FromSeconds(5)), Is.True, "the peer is told with ABORT");
    }

    [Test]
    public void Unknown_chunks_follow_the_upper_bits()
    {
        var (sim, _, tagOfB) = Connected();
        byte[] Unknown(byte type) => [type, 0, 0, 8, 1, 2, 3, 4];

        // 0xC5: skip and report → A receives an ERROR with an Unrecognized Chunk Type cause.
        sim.Inject(true, Packet(tagOfB, Unknown(0xC5)));
        Assert.That(sim.RunUntil(() => sim.EventsA.Any(e => e.Type == SctpEventType.PeerError && e.ErrorCause == SctpErrorCauseCode.UnrecognizedChunkType), TimeSpan.FromSeconds(5)), Is.True);

        // 0x3F: stop, no report; 0x7F: stop and report. The association stays up either way.
        sim.Inject(true, Packet(tagOfB, Unknown(0x3F)));
        sim.Inject(true, Packet(tagOfB, Unknown(0x7F), Unknown(0xC5)));
        sim.RunFor(TimeSpan.FromSeconds(1));
        Assert.That(sim.EventsA.Count(e => e.Type == SctpEventType.PeerError), Is.EqualTo(2), "0x7F reported, the chunk after it not processed");
        Assert.That(sim.B.IsClosed, Is.False);
        TransferCompletes(sim);
    }

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property Arbitrary_chunks_with_valid_headers_never_throw()
    {
        var (sim, _, tagOfB) = Connected();
        var gen = Gen.Elements<byte>(0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 130, 192, 64, 0xC1, 0x41)
            .SelectMany(type => ArbMap.Default.GeneratorFor<byte[]>().Select(body => (type, body)))
            .SelectMany(c => ArbMap.Default.GeneratorFor<byte>().Select(flags => (c.type, flags, c.body)));
        return Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var length = 4 + Math.Min(c.body.Length, 1000);
            var chunk = new byte[(length + 3) & ~3];
            c.body.AsSpan(0, length - 4).CopyTo(chunk.AsSpan(4));
            ChunkWriter.Header(chunk, (ChunkType)c.type, c.flags, length);
            sim.Inject(true, Packet(tagOfB, chunk));
            sim.RunFor(TimeSpan.FromMilliseconds(50));
            // Either still working, or closed with a reported reason.
            return !sim.B.IsClosed || sim.EventsB.Closed() is not null;
        });
    }

    [Test]
    public void Mutated_real_traffic_with_valid_checksums_never_throws()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var (sim, _, _) = Connected(seed);
            var rnd = new Random(seed);
            sim.Tamper = (fromA, p) =>
            {
                if (rnd.NextDouble() < 0.05 && p.Length > 16)
                {
                    var bad = (byte[])p.Clone();
                    for (var k = 0; k < 3; k++)
                    {
                        bad[12 + rnd.Next(bad.Length - 12)] = (byte)rnd.Next(256);
                    }

                    Crc32c.Stamp(bad);
                    return bad;
                }

                return p;
            };
            for (var i = 0; i < 20; i++)
            {
                sim.A.Send(1, 53, SctpTestUtil.Payload(5000, i), default, sim.Now);
                sim.B.Send(1, 53, SctpTestUtil.Payload(5000, i), default, sim.Now);
            }

            sim.RunUntil(() => sim.A.IsClosed || sim.B.IsClosed || (sim.EventsB.Messages().Count() >= 21 && sim.EventsA.Messages().Count() >= 21), TimeSpan.FromMinutes(5));
            Assert.That(sim.A.IsClosed ? sim.EventsA.Closed() : null, sim.A.IsClosed ? Is.Not.Null : Is.Null);
            Assert.That(sim.B.IsClosed ? sim.EventsB.Closed() : null, sim.B.IsClosed ? Is.Not.Null : Is.Null);
        }
    }
}

using System.Buffers.Binary;
using P2p.WebRtc.Sctp;
using P2p.WebRtc.Sctp.Chunks;
using P2p.WebRtc.Sctp.Packets;
using P2p.WebRtc.Sctp.Parameters;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

/// <summary>
/// Issue 19: what a peer's packets make the association hold is bounded: resets waiting for data
/// (<see cref="SctpAssociation.MaxDeferredIncomingResets"/>), answers queued (<see cref="SctpAssociation.MaxQueuedResponses"/>)
/// and the memory of out-of-order DATA chunks (<see cref="SctpAssociation.MaxHeldBufferBytes"/>).
/// </summary>
public sealed class PeerInputLimitsTests
{
    [Test]
    public void Tiny_chunks_above_a_gap_hold_no_more_memory_than_the_limit()
    {
        var (sim, tagOfB, t0, _) = Connected();
        const int perPacket = 64;
        var next = t0 + 2; // t0 was A's first message; t0 + 1 stays missing
        for (var packet = 0; packet < 32_768 / perPacket; packet++)
        {
            var chunks = new List<byte[]>();
            for (var i = 0; i < perPacket; i++, next++)
            {
                // A first fragment of one byte: never complete, so it stays buffered.
                var chunk = new byte[DataChunk.HeaderSize + 4];
                var n = DataChunk.Write(chunk, DataChunk.FlagBeginning, next, 3, (ushort)(next - t0), 51, [7]);
                chunks.Add(chunk[..n]);
            }

            sim.Inject(true, Packet(tagOfB, chunks.SelectMany(c => c).ToArray()));
        }

        Assert.That(sim.B.HeldBufferBytes, Is.GreaterThan(0));
        Assert.That(sim.B.HeldBufferBytes, Is.LessThanOrEqualTo(sim.B.MaxHeldBufferBytes + SctpTestUtil.Options().MaxPacketSize));
        Assert.That(sim.B.IsClosed, Is.False);

        // The chunk in order is still taken, and what was held drains.
        sim.A.SendOk(sim, 3, 51, [2]);
        sim.RunFor(TimeSpan.FromSeconds(1));
        Assert.That(sim.B.HeldBufferBytes, Is.LessThan(sim.B.MaxHeldBufferBytes));
    }

    [Test]
    public void Resets_waiting_for_data_are_held_up_to_the_limit_and_further_ones_are_refused()
    {
        var (sim, tagOfB, t0, responses) = Connected();
        var extra = 4;
        for (uint i = 0; i < SctpAssociation.MaxDeferredIncomingResets + extra; i++)
        {
            // Each names another stream and a last TSN far ahead: none can be performed yet.
            sim.Inject(true, ReConfigPacket(tagOfB, Request(t0 + i, lastTsn: t0 + 10_000, stream: (ushort)(100 + i))));
        }

        sim.RunFor(TimeSpan.FromSeconds(1));
        var results = responses.ToDictionary(r => r.ResponseSequenceNumber - t0, r => r.Result);
        for (uint i = 0; i < SctpAssociation.MaxDeferredIncomingResets; i++)
        {
            Assert.That(results[i], Is.EqualTo(ReconfigurationResult.InProgress), $"request {i}");
        }

        for (var i = (uint)SctpAssociation.MaxDeferredIncomingResets; i < SctpAssociation.MaxDeferredIncomingResets + extra; i++)
        {
            Assert.That(results[i], Is.EqualTo(ReconfigurationResult.ErrorRequestAlreadyInProgress), $"request {i}");
        }

        Assert.That(sim.B.IsClosed, Is.False);
    }

    [Test]
    public void A_packet_of_many_requests_is_answered_at_most_up_to_the_queue_limit()
    {
        var (sim, tagOfB, t0, responses) = Connected();
        var parameters = new List<byte[]>();
        for (uint i = 0; i < 150; i++)
        {
            parameters.Add(Request(t0 + 5000 + i, lastTsn: t0, stream: 1)); // wrong sequence numbers: each is answered
        }

        sim.Inject(true, ReConfigPacket(tagOfB, [.. parameters.SelectMany(p => p)]));
        sim.RunFor(TimeSpan.FromSeconds(1));

        Assert.That(responses, Has.Count.InRange(1, SctpAssociation.MaxQueuedResponses));
        Assert.That(responses.Select(r => r.Result), Is.All.EqualTo(ReconfigurationResult.ErrorBadSequenceNumber));
        Assert.That(sim.B.IsClosed, Is.False);
    }

    private static (SctpSimulation Sim, uint TagOfB, uint T0, List<ReconfigurationResponseParameter> Responses) Connected()
    {
        uint tagOfB = 0;
        var responses = new List<ReconfigurationResponseParameter>();
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options());
        sim.Tamper = (fromA, p) =>
        {
            if (fromA && BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(4)) is var tag and not 0)
            {
                tagOfB = tag;
            }
            else if (!fromA)
            {
                CollectResponses(p, responses);
            }

            return p;
        };
        sim.ConnectBoth();
        sim.A.SendOk(sim, 3, 51, [1]);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Any(), TimeSpan.FromSeconds(5)), Is.True);
        var firstData = sim.SentByA.First(p => p.Length > 16 && p[12] == 0);
        var t0 = BinaryPrimitives.ReadUInt32BigEndian(firstData.AsSpan(16)); // A's initial TSN = its first request sequence number
        responses.Clear();
        return (sim, tagOfB, t0, responses);
    }

    private static void CollectResponses(byte[] packet, List<ReconfigurationResponseParameter> into)
    {
        var chunks = new ChunkIterator(packet.AsSpan(SctpCommonHeader.Size));
        while (chunks.MoveNext(out var chunk))
        {
            if (chunk.Type != ChunkType.ReConfig)
            {
                continue;
            }

            var parameters = ReConfigChunk.Parameters(chunk);
            while (parameters.MoveNext(out var p))
            {
                if (ReconfigurationResponseParameter.TryParse(p, out var response))
                {
                    into.Add(response);
                }
            }
        }
    }

    private static byte[] Request(uint seq, uint lastTsn, ushort stream)
    {
        var parameter = new byte[OutgoingSsnResetRequestParameter.SizeOf(1)];
        var n = OutgoingSsnResetRequestParameter.Write(parameter, seq, 0, lastTsn, [stream]);
        return parameter[..n];
    }

    private static byte[] ReConfigPacket(uint tag, byte[] parameters)
    {
        var chunk = new byte[4 + parameters.Length];
        ReConfigChunk.Write(chunk, parameters);
        return Packet(tag, chunk);
    }

    private static byte[] Packet(uint tag, ReadOnlySpan<byte> chunks)
    {
        var packet = new byte[SctpCommonHeader.Size + chunks.Length];
        new SctpCommonHeader(5000, 5000, tag).Write(packet);
        chunks.CopyTo(packet.AsSpan(SctpCommonHeader.Size));
        Crc32c.Stamp(packet);
        return packet;
    }
}

using System.Buffers.Binary;
using P2p.Fuzzing.Support;
using P2p.WebRtc.Sctp;
using P2p.WebRtc.Sctp.Packets;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// The SCTP association state machine (RFC 9260, RFC 6525, RFC 3758) fed packets as DTLS would hand them over: the
/// input's first byte picks the set-up, the rest is packets (<see cref="FuzzInput"/> framing) given to
/// <see cref="SctpAssociation.HandlePacket"/>, each followed by building what the association answers, its events
/// and its timers. Set-up bits: 0 — an established association with 3000 unacknowledged bytes in flight (else a
/// fresh listening one, for the handshake paths); 1 — keep the packet's verification tag (else the expected one
/// is written in); 2 — keep the ports (else 5000/5000); 3 — the association asked to reset stream 1. The CRC32c
/// is always stamped (a fuzzer cannot find it). Bad input is dropped and counted, never thrown.
/// </summary>
internal static class SctpAssociationTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var mode = data[0];
        var pair = new SctpPair();
        var target = pair.Passive;
        uint tag = 0;
        if ((mode & 1) != 0)
        {
            if (!pair.Connect())
            {
                throw new InvalidOperationException("The SCTP handshake of the fuzz set-up failed.");
            }

            tag = pair.PassiveTag;
            target.Send(1, 51, new byte[3000], default, pair.Now);
            target.Send(2, 53, new byte[100], new SctpSendOptions { Unordered = true, MaxRetransmits = 0 }, pair.Now);
            if ((mode & 8) != 0)
            {
                target.ResetStreams([1]);
            }

            pair.Flush(target);
        }

        var input = new FuzzInput(data[1..]);
        var packet = new byte[65536 + 12];
        while (input.TryNext(out var raw))
        {
            if (raw.Length < SctpCommonHeader.Size)
            {
                continue;
            }

            var p = packet.AsSpan(0, raw.Length);
            raw.CopyTo(p);
            if ((mode & 4) == 0)
            {
                BinaryPrimitives.WriteUInt16BigEndian(p, 5000);
                BinaryPrimitives.WriteUInt16BigEndian(p[2..], 5000);
            }

            if ((mode & 2) == 0 && tag != 0)
            {
                BinaryPrimitives.WriteUInt32BigEndian(p[4..], tag);
            }

            Crc32c.Stamp(p);
            target.HandlePacket(p, pair.Now);
            pair.Flush(target);
            pair.Advance(TimeSpan.FromMilliseconds(250), target);
            pair.Flush(target);
        }

        _ = target.GetMetrics();
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using P2p.Fuzzing.Support;
using P2p.WebRtc.Dtls;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// Our DTLS 1.2 record layer after the handshake (RFC 6347 §4.1): <see cref="DtlsRecordLayer.ProcessDatagram"/> on
/// each datagram of the input (<see cref="FuzzInput"/> framing) — record splitting, epochs, the replay window,
/// alerts, renegotiation refusal and the final-flight retransmission. The first input byte picks the role (bit 0:
/// server, which retransmits its final flight). Records decrypt with <see cref="PassThroughRecordCipher"/>; the
/// handshake itself is BouncyCastle's. Bad input is dropped and counted, never thrown.
/// </summary>
internal static class DtlsTarget
{
    private static readonly byte[] Finished = [20, 0, 0, 12, 0, 1, 0, 0, 0, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

    public static void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var server = (data[0] & 1) != 0;
        var time = new FakeTimeProvider();
        var owner = new RecordingOwner();
        using var layer = new DtlsRecordLayer(
            new NullDatagramTransport(), new PassThroughRecordCipher(), epoch: 1, nextWriteSequence: 1, readWindow: default,
            nextEpoch0WriteSequence: 5, server ? Finished : null, TimeSpan.FromMilliseconds(100), owner, NullLogger.Instance, time);
        var input = new FuzzInput(data[1..]);
        while (input.TryNext(out var datagram))
        {
            layer.ProcessDatagram(datagram);
            time.Advance(TimeSpan.FromMilliseconds(60));
        }

        _ = layer.DroppedRecords;
        _ = layer.Retransmissions;
    }

    private sealed class RecordingOwner : IDtlsRecordLayerOwner
    {
        public long Bytes { get; private set; }

        public void OnApplicationData(ReadOnlySpan<byte> data) => Bytes += data.Length;

        public void OnAlert(byte level, byte description) => Bytes += 2;
    }
}

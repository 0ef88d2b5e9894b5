using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Net;

namespace P2p.Benchmarks.Report;

/// <summary>
/// The DTLS record path alone, on one core: our <see cref="DtlsRecordLayer"/> protects 1,200-byte
/// application_data records (AES-128-GCM, the suite our stack negotiates first) into an in-memory
/// batch, and a second record layer with the same keys unprotects them (header parse, replay window,
/// decryption, delivery to its owner). No sockets, no SCTP: the figure is what the record layer's
/// crypto and bookkeeping cost per payload byte.
/// </summary>
internal static class DtlsRecordCeiling
{
    public const int RecordSize = 1200;
    private const int Batch = 256;

    /// <summary>One run: <paramref name="warmup"/> unmeasured, then records through both layers for <paramref name="window"/>.</summary>
    public static DtlsCeilingRun Measure(TimeSpan warmup, TimeSpan window)
    {
        var key = RandomNumberGenerator.GetBytes(16);
        var salt = RandomNumberGenerator.GetBytes(4);
        var batch = new CapturedDatagrams(Batch, RecordSize + DtlsRecordLayer.HeaderLength + DtlsRecordLayer.MaxCipherOverhead);
        var delivered = new CountingOwner();
        using var writer = new DtlsRecordLayer(batch, new AesGcmRecordCipher(key, salt, key, salt), 1, 1, default, 1, null, TimeSpan.Zero, new CountingOwner(), NullLogger.Instance);
        using var reader = new DtlsRecordLayer(new CapturedDatagrams(4, 128), new AesGcmRecordCipher(key, salt, key, salt), 1, 1, default, 1, null, TimeSpan.Zero, delivered, NullLogger.Instance);
        var payload = RandomNumberGenerator.GetBytes(RecordSize);

        RunBatches(writer, reader, batch, payload, warmup, out _, out _);
        var before = delivered.Bytes;
        var records = RunBatches(writer, reader, batch, payload, window, out var protectTicks, out var unprotectTicks);
        if (delivered.Bytes - before != records * RecordSize)
        {
            throw new InvalidOperationException($"the reader delivered {delivered.Bytes - before} bytes of {records * RecordSize}");
        }

        var protectSeconds = protectTicks / (double)Stopwatch.Frequency;
        var unprotectSeconds = unprotectTicks / (double)Stopwatch.Frequency;
        var bytes = records * (double)RecordSize;
        return new DtlsCeilingRun(
            bytes / (protectSeconds + unprotectSeconds) / 1e6,
            bytes / protectSeconds / 1e6,
            bytes / unprotectSeconds / 1e6,
            protectSeconds * 1e6 / records,
            unprotectSeconds * 1e6 / records);
    }

    private static long RunBatches(DtlsRecordLayer writer, DtlsRecordLayer reader, CapturedDatagrams batch, byte[] payload, TimeSpan duration,
        out long protectTicks, out long unprotectTicks)
    {
        protectTicks = 0;
        unprotectTicks = 0;
        long records = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long now;
        do
        {
            batch.Clear();
            var t0 = Stopwatch.GetTimestamp();
            for (var i = 0; i < Batch; i++)
            {
                writer.SendApplicationData(payload);
            }

            var t1 = Stopwatch.GetTimestamp();
            for (var i = 0; i < Batch; i++)
            {
                reader.ProcessDatagram(batch.Get(i));
            }

            now = Stopwatch.GetTimestamp();
            protectTicks += t1 - t0;
            unprotectTicks += now - t1;
            records += Batch;
        }
        while (now < end);

        return records;
    }

    /// <summary>A lower transport that keeps the datagrams sent to it (a fixed number of preallocated slots).</summary>
    private sealed class CapturedDatagrams(int slots, int size) : IDatagramTransport
    {
        private readonly byte[][] _slots = [.. Enumerable.Range(0, slots).Select(_ => new byte[size])];
        private readonly int[] _lengths = new int[slots];
        private int _count;

        public int MaxDatagramSize => size;

        public bool IsClosed => false;

        public event EventHandler<DatagramTransportClosedEventArgs>? Closed
        {
            add { }
            remove { }
        }

        public void Clear() => _count = 0;

        public ReadOnlySpan<byte> Get(int i) => _slots[i].AsSpan(0, _lengths[i]);

        public void Send(ReadOnlySpan<byte> datagram)
        {
            datagram.CopyTo(_slots[_count]);
            _lengths[_count++] = datagram.Length;
        }

        public void SetReceiveHandler(DatagramReceivedHandler? handler)
        {
        }
    }

    private sealed class CountingOwner : IDtlsRecordLayerOwner
    {
        public long Bytes { get; private set; }

        public void OnApplicationData(ReadOnlySpan<byte> data) => Bytes += data.Length;

        public void OnAlert(byte level, byte description)
        {
        }
    }
}

/// <summary>
/// One DTLS record path run: payload MB/s through protect + unprotect on one core, each direction alone,
/// and microseconds per record each way.
/// </summary>
internal readonly record struct DtlsCeilingRun(double BothMBps, double ProtectMBps, double UnprotectMBps, double ProtectMicroseconds, double UnprotectMicroseconds);

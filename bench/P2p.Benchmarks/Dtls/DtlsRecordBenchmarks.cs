using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Net;
using BcContentType = Org.BouncyCastle.Tls.ContentType;
using BcProtocolVersion = Org.BouncyCastle.Tls.ProtocolVersion;
using BcTlsCipher = Org.BouncyCastle.Tls.Crypto.TlsCipher;

namespace P2p.Benchmarks.Dtls;

/// <summary>
/// Record protect/unprotect of one 1200-byte application_data record: our record layer over
/// System.Security.Cryptography.AesGcm versus BouncyCastle's TlsAeadCipher (AES-128-GCM on its
/// AES-NI engine), both with keys from a real handshake.
/// <c>dotnet run -c Release --project bench/P2p.Benchmarks -- micro --filter '*DtlsRecord*'</c>
/// </summary>
[MemoryDiagnoser]
public class DtlsRecordBenchmarks : IDisposable
{
    private const long EpochOne = 1L << 48;

    private readonly byte[] _payload = new byte[1200];
    private BcBaseline? _bc;
    private BcTlsCipher _bcWriter = null!;
    private BcTlsCipher _bcReader = null!;
    private byte[] _bcRecord = [];
    private byte[] _bcWork = [];
    private long _bcSequence = EpochOne | 100;
    private DtlsRecordLayer _ours = null!;
    private AesGcmRecordCipher _oursReader = null!;
    private byte[] _oursFragment = [];
    private byte[] _oursPlaintext = [];

    [GlobalSetup]
    public void Setup()
    {
        RandomNumberGenerator.Fill(_payload);
        _bc = BcBaseline.Connect(1300);
        _bcWriter = _bc.ClientCrypto.CreatedBcCipher!;
        _bcReader = _bc.ServerCrypto.CreatedBcCipher!;
        var encoded = _bcWriter.EncodePlaintext(EpochOne | 5, BcContentType.application_data, BcProtocolVersion.DTLSv12, 13, _payload);
        _bcRecord = encoded.buf.AsSpan(encoded.off, encoded.len).ToArray();
        _bcWork = new byte[_bcRecord.Length];

        var key = RandomNumberGenerator.GetBytes(16);
        var salt = RandomNumberGenerator.GetBytes(4);
        _ours = new DtlsRecordLayer(new DiscardTransport(), new AesGcmRecordCipher(key, salt, key, salt), 1, 1, default, 1, null, TimeSpan.Zero, new NoOwner(), NullLogger.Instance);
        _oursReader = new AesGcmRecordCipher(key, salt, key, salt);
        _oursFragment = new byte[_payload.Length + _oursReader.Overhead];
        _oursReader.Encrypt(EpochOne | 5, 23, 0xFEFD, _payload, _oursFragment);
        _oursPlaintext = new byte[_payload.Length];
    }

    [Benchmark(Baseline = true, Description = "BouncyCastle protect")]
    public int BcProtect() =>
        _bcWriter.EncodePlaintext(_bcSequence++, BcContentType.application_data, BcProtocolVersion.DTLSv12, 13, _payload).len;

    [Benchmark(Description = "BouncyCastle unprotect")]
    public int BcUnprotect()
    {
        _bcRecord.CopyTo(_bcWork, 0);
        return _bcReader.DecodeCiphertext(EpochOne | 5, BcContentType.application_data, BcProtocolVersion.DTLSv12, _bcWork, 13, _bcWork.Length - 13).len;
    }

    [Benchmark(Description = "ours protect (record layer, AesGcm)")]
    public void OursProtect() => _ours.SendApplicationData(_payload);

    [Benchmark(Description = "ours unprotect (AesGcm)")]
    public bool OursUnprotect() => _oursReader.TryDecrypt(EpochOne | 5, 23, 0xFEFD, _oursFragment, _oursPlaintext);

    [GlobalCleanup]
    public void Dispose()
    {
        _bc?.Dispose();
        _ours?.Dispose();
        _oursReader?.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed class DiscardTransport : IDatagramTransport
    {
        public int MaxDatagramSize => 1500;

        public bool IsClosed => false;

        public event EventHandler<DatagramTransportClosedEventArgs>? Closed
        {
            add { }
            remove { }
        }

        public void Send(ReadOnlySpan<byte> datagram)
        {
        }

        public void SetReceiveHandler(DatagramReceivedHandler? handler)
        {
        }
    }

    private sealed class NoOwner : IDtlsRecordLayerOwner
    {
        public void OnApplicationData(ReadOnlySpan<byte> data)
        {
        }

        public void OnAlert(byte level, byte description)
        {
        }
    }
}

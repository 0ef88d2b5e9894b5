using P2p.WebRtc.Dtls;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Tests.Dtls;

/// <summary>Certificates (generated once) and helpers to build a client/server pair of transports.</summary>
internal static class DtlsTestPeers
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static RtcCertificate ClientCertificate { get; } = RtcCertificate.Generate();

    public static RtcCertificate ServerCertificate { get; } = RtcCertificate.Generate();

    public static RtcCertificate OtherCertificate { get; } = RtcCertificate.Generate();

    /// <summary>Fast retransmissions so lossy handshakes finish quickly.</summary>
    public static DtlsTransportOptions FastOptions { get; } = new()
    {
        InitialRetransmitTimeout = TimeSpan.FromMilliseconds(50),
        HandshakeTimeout = TimeSpan.FromSeconds(20),
    };

    public static DtlsTransport Client(IDatagramTransport lower, DtlsTransportOptions? options = null, DtlsFingerprint? expectServer = null, ILogger? logger = null) =>
        new(lower, DtlsRole.Client, ClientCertificate, [expectServer ?? ServerCertificate.Fingerprint], options ?? FastOptions, logger);

    public static DtlsTransport Server(IDatagramTransport lower, DtlsTransportOptions? options = null, DtlsFingerprint? expectClient = null, ILogger? logger = null) =>
        new(lower, DtlsRole.Server, ServerCertificate, [expectClient ?? ClientCertificate.Fingerprint], options ?? FastOptions, logger);

    public static async Task ConnectAsync(DtlsTransport a, DtlsTransport b) =>
        await Task.WhenAll(a.StartAsync(), b.StartAsync()).WaitAsync(Timeout);

    /// <summary>A payload whose bytes encode its index, so order and integrity can be checked.</summary>
    public static byte[] Payload(int index, int length)
    {
        var data = new byte[length];
        for (var i = 0; i < length; i++)
        {
            data[i] = (byte)((index * 31) + i);
        }

        if (length >= 4)
        {
            BitConverter.TryWriteBytes(data, index);
        }

        return data;
    }
}

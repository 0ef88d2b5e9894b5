using System.Net;
using BenchmarkDotNet.Attributes;
using P2p.WebRtc.Stun;

namespace P2p.Benchmarks.Ice;

/// <summary>
/// STUN codec micro benchmarks: `dotnet run -c Release --project bench/P2p.Benchmarks -- micro --filter '*Stun*'`.
/// </summary>
[MemoryDiagnoser]
public class StunCodecBenchmarks
{
    private readonly byte[] _buffer = new byte[512];
    private readonly byte[] _key = StunCredentials.ShortTermKey("VOkJxbRl1RmTxUk/WvJxBt");
    private readonly IPEndPoint _mapped = new(IPAddress.Parse("192.0.2.1"), 32853);
    private byte[] _check = [];

    [GlobalSetup]
    public void Setup() => _check = WriteCheck().ToArray();

    /// <summary>Parse and validate (header, bounds, FINGERPRINT) a typical ICE check, walk its attributes.</summary>
    [Benchmark]
    public int ParseCheck()
    {
        StunMessage.TryParse(_check, out var m);
        var n = 0;
        foreach (var a in m)
        {
            n += a.Value.Length;
        }

        return n;
    }

    /// <summary>Parse plus MESSAGE-INTEGRITY verification (HMAC-SHA1), what every incoming check costs.</summary>
    [Benchmark]
    public bool ParseAndVerifyCheck()
    {
        StunMessage.TryParse(_check, out var m);
        return m.VerifyMessageIntegrity(_key);
    }

    /// <summary>Write an ICE check: USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT.</summary>
    [Benchmark]
    public int WriteCheckRequest() => WriteCheck().Length;

    /// <summary>Write a success response: XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT.</summary>
    [Benchmark]
    public int WriteSuccessResponse()
    {
        var w = new StunMessageWriter(_buffer, StunMethod.Binding, StunMessageClass.SuccessResponse, StunTransactionId.NewRandom());
        w.AddXorAddress(_mapped);
        w.AddMessageIntegrity(_key);
        w.AddFingerprint();
        return w.Length;
    }

    private ReadOnlySpan<byte> WriteCheck()
    {
        var w = new StunMessageWriter(_buffer, StunMethod.Binding, StunMessageClass.Request, StunTransactionId.NewRandom());
        w.AddString(StunAttributeType.Username, "evtj:h6vYabcd");
        w.AddUInt32(StunAttributeType.Priority, 0x6e0001ff);
        w.AddUInt64(StunAttributeType.IceControlling, 0x932ff9b151263b36);
        w.AddEmpty(StunAttributeType.UseCandidate);
        w.AddMessageIntegrity(_key);
        w.AddFingerprint();
        return w.Written;
    }
}

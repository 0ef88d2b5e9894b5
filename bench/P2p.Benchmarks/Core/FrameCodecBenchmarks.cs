using BenchmarkDotNet.Attributes;
using P2p.Core.Framing;

namespace P2p.Benchmarks.Core;

/// <summary>
/// P2p.Core's group framing (10-byte header, split/reassembly above the peer's max message size):
/// encode and decode of a 1 KiB unicast request in one frame, and of a 1 MiB message split into
/// 64 KiB frames. <c>dotnet run -c Release --project bench/P2p.Benchmarks -- micro --filter '*FrameCodec*'</c>
/// </summary>
[MemoryDiagnoser]
public class FrameCodecBenchmarks
{
    private const int FrameSize = 65536;
    private readonly byte[] _small = new byte[1024];
    private readonly byte[] _large = new byte[1 << 20];
    private readonly byte[] _frame = new byte[FrameSize];
    private byte[] _smallFrame = [];
    private byte[][] _largeFrames = [];
    private MessageReassembler _reassembler = null!;
    private uint _id;

    [GlobalSetup]
    public void Setup()
    {
        new Random(7).NextBytes(_small);
        new Random(8).NextBytes(_large);
        _reassembler = new MessageReassembler(16 << 20);
        _smallFrame = _frame.AsSpan(0, MessageFragmenter.WriteFrame(FrameKind.Request, 1, _small, 0, FrameSize, _frame)).ToArray();
        _largeFrames = new byte[MessageFragmenter.FrameCount(_large.Length, FrameSize)][];
        for (var i = 0; i < _largeFrames.Length; i++)
        {
            _largeFrames[i] = _frame.AsSpan(0, MessageFragmenter.WriteFrame(FrameKind.Broadcast, 2, _large, i, FrameSize, _frame)).ToArray();
        }
    }

    /// <summary>Header + 1 KiB payload into a frame buffer (what every unicast request costs the sender).</summary>
    [Benchmark]
    public int Encode1KiB() => MessageFragmenter.WriteFrame(FrameKind.Request, ++_id, _small, 0, FrameSize, _frame);

    /// <summary>A one-frame 1 KiB message through the reassembler (header check, payload handed out).</summary>
    [Benchmark]
    public int Decode1KiB()
    {
        _reassembler.Add(_smallFrame, out _, out var message);
        return message.Length;
    }

    /// <summary>A 1 MiB message written as 17 frames of at most 64 KiB.</summary>
    [Benchmark]
    public int Encode1MiBSplit()
    {
        var n = 0;
        var count = MessageFragmenter.FrameCount(_large.Length, FrameSize);
        for (var i = 0; i < count; i++)
        {
            n += MessageFragmenter.WriteFrame(FrameKind.Broadcast, 3, _large, i, FrameSize, _frame);
        }

        return n;
    }

    /// <summary>The same 17 frames reassembled into one 1 MiB message.</summary>
    [Benchmark]
    public int Decode1MiBSplit()
    {
        ReadOnlyMemory<byte> message = default;
        foreach (var frame in _largeFrames)
        {
            _reassembler.Add(frame, out _, out message);
        }

        return message.Length;
    }
}

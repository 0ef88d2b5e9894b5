using System.Buffers.Binary;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using P2p.Signaling.WebSockets.Protocol;
using P2p.Signaling.WebSockets.Tests.Support;

namespace P2p.Signaling.WebSockets.Tests;

/// <summary>
/// The client's direct send path: masked frames written by <see cref="FrameEncoder"/>, batched by
/// <see cref="FrameSender"/> through a <see cref="ConnectionTap"/>, and which socket options allow it.
/// </summary>
public class DirectFramingTests
{
    /// <summary>Reads RFC 6455 client frames back: (opcode, fin, unmasked payload) each.</summary>
    private static List<(int Opcode, bool Fin, byte[] Payload)> Decode(ReadOnlySpan<byte> wire)
    {
        var frames = new List<(int, bool, byte[])>();
        while (wire.Length > 0)
        {
            var fin = (wire[0] & 0x80) != 0;
            var opcode = wire[0] & 0x0F;
            Assert.That(wire[0] & 0x70, Is.Zero, "RSV bits");
            Assert.That(wire[1] & 0x80, Is.EqualTo(0x80), "a client frame must be masked");
            long length = wire[1] & 0x7F;
            var at = 2;
            if (length == 126)
            {
                length = BinaryPrimitives.ReadUInt16BigEndian(wire[2..]);
                at = 4;
            }
            else if (length == 127)
            {
                length = (long)BinaryPrimitives.ReadUInt64BigEndian(wire[2..]);
                at = 10;
            }

            var key = wire.Slice(at, 4).ToArray();
            at += 4;
            var payload = wire.Slice(at, (int)length).ToArray();
            for (var i = 0; i < payload.Length; i++)
            {
                payload[i] ^= key[i % 4];
            }

            frames.Add((opcode, fin, payload));
            wire = wire[(at + (int)length)..];
        }

        return frames;
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static OutgoingFrame Frame(byte[] payload)
    {
        var buffer = FrameBufferPool.Shared.Rent(Math.Max(1, payload.Length));
        payload.CopyTo(buffer, 0);
        return new OutgoingFrame(buffer, payload.Length, pooled: true);
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(7)]
    [TestCase(125)]
    [TestCase(126)]
    [TestCase(300)]
    [TestCase(65535)]
    [TestCase(65536)]
    [TestCase(200_001)]
    public void AFrameCarriesItsPayloadMaskedWithTheSmallestLengthEncoding(int length)
    {
        var payload = Bytes(length, length);
        var wire = new byte[FrameEncoder.MaxFrameLength(length)];
        var written = FrameEncoder.WriteTextFrame(payload, wire);
        var header = length < 126 ? 2 : length <= 65535 ? 4 : 10;
        Assert.Multiple(() =>
        {
            Assert.That(written, Is.EqualTo(header + 4 + length));
            Assert.That(wire[0], Is.EqualTo(0x81), "FIN + text");
            var frames = Decode(wire.AsSpan(0, written));
            Assert.That(frames, Has.Count.EqualTo(1));
            Assert.That(frames[0].Payload, Is.EqualTo(payload));
        });
    }

    [TestCase(0)]
    [TestCase(125)]
    [TestCase(126)]
    [TestCase(65535)]
    [TestCase(65536)]
    public void AServerFrameIsUnmaskedWithTheSmallestLengthEncoding(int length)
    {
        var payload = Enumerable.Range(0, length).Select(i => (byte)('a' + (i % 26))).ToArray(); // valid UTF-8 text
        var wire = new byte[FrameEncoder.MaxFrameLength(length)];
        var written = FrameEncoder.WriteUnmaskedTextFrame(payload, wire);
        var header = length < 126 ? 2 : length <= 65535 ? 4 : 10;
        using var reader = WebSocket.CreateFromStream(new MemoryStream(wire, 0, written), new WebSocketCreationOptions { IsServer = false });
        var received = new byte[length + 1];
        var result = reader.ReceiveAsync(received.AsMemory(), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Assert.Multiple(() =>
        {
            Assert.That(written, Is.EqualTo(header + length));
            Assert.That(wire[1] & 0x80, Is.Zero, "not masked");
            Assert.That(result.MessageType, Is.EqualTo(WebSocketMessageType.Text));
            Assert.That(result.EndOfMessage, Is.True);
            Assert.That(received.AsSpan(0, result.Count).ToArray(), Is.EqualTo(payload));
        });
    }

    [Test]
    public void TheMaskingKeyIsWrittenAndAppliedInWireOrder()
    {
        var payload = "abcdefghij"u8.ToArray();
        var wire = new byte[FrameEncoder.MaxFrameLength(payload.Length)];
        var key = BitConverter.ToUInt32([0x01, 0x02, 0x03, 0x04]);
        var written = FrameEncoder.WriteTextFrame(payload, wire, key);
        Assert.Multiple(() =>
        {
            Assert.That(wire.AsSpan(2, 4).ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
            Assert.That(wire[6], Is.EqualTo((byte)('a' ^ 1)));
            Assert.That(wire[9], Is.EqualTo((byte)('d' ^ 4)));
            Assert.That(wire[10], Is.EqualTo((byte)('e' ^ 1)));
            Assert.That(wire[written - 1], Is.EqualTo((byte)('j' ^ 2)));
        });
    }

    [Test]
    public void ConsecutiveFramesUseDifferentMaskingKeys()
    {
        var keys = new HashSet<uint>();
        var wire = new byte[FrameEncoder.MaxFrameLength(1)];
        for (var i = 0; i < 2000; i++)
        {
            FrameEncoder.WriteTextFrame("x"u8, wire);
            keys.Add(BitConverter.ToUInt32(wire, 2));
        }

        Assert.That(keys, Has.Count.GreaterThan(1990));
    }

    [Test]
    public async Task FramesQueuedWhileCorkedLeaveInOneWriteInQueueOrder()
    {
        var wire = new RecordingStream();
        using var socket = WebSocket.CreateFromStream(new MemoryStream(), new WebSocketCreationOptions());
        var tap = new ConnectionTap(wire, isClient: true);
        var sender = new FrameSender(socket, _ => Assert.Fail("send failed"), tap);
        var payloads = Enumerable.Range(0, 5).Select(i => Encoding.UTF8.GetBytes($$"""{"n":{{i}}}""")).ToList();
        sender.Cork();
        foreach (var p in payloads)
        {
            Assert.That(sender.TryEnqueue(Frame(p)), Is.True);
        }

        Assert.That(wire.Writes, Is.Zero);
        sender.Uncork();
        await sender.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Multiple(() =>
        {
            Assert.That(wire.Writes, Is.EqualTo(1));
            Assert.That(Decode(wire.ToArray()).Select(f => f.Payload), Is.EqualTo(payloads));
            Assert.That(sender.QueuedBytes, Is.Zero);
        });
    }

    [Test]
    public async Task AMessageLargerThanTheBatchBufferIsSentWholeBetweenItsNeighbours()
    {
        var wire = new RecordingStream();
        using var socket = WebSocket.CreateFromStream(new MemoryStream(), new WebSocketCreationOptions());
        var sender = new FrameSender(socket, _ => Assert.Fail("send failed"), new ConnectionTap(wire, isClient: true));
        byte[][] payloads = [Bytes(10, 1), Bytes(100_000, 2), Bytes(20, 3), Bytes(16_000, 4), Bytes(16_000, 5)];
        sender.Cork();
        foreach (var p in payloads)
        {
            sender.TryEnqueue(Frame(p));
        }

        sender.Uncork();
        await sender.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(Decode(wire.ToArray()).Select(f => f.Payload), Is.EqualTo(payloads));
    }

    [Test]
    public async Task AFailedWriteIsReportedOnceAndLaterFramesAreDropped()
    {
        var wire = new RecordingStream { Fail = true };
        using var socket = WebSocket.CreateFromStream(new MemoryStream(), new WebSocketCreationOptions());
        var failures = 0;
        var sender = new FrameSender(socket, _ => Interlocked.Increment(ref failures), new ConnectionTap(wire, isClient: true));
        sender.TryEnqueue(Frame("{}"u8.ToArray()));
        await sender.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.EqualTo(1));
            Assert.That(sender.TryEnqueue(Frame("{}"u8.ToArray())), Is.False);
            Assert.That(sender.QueuedBytes, Is.Zero);
        });
    }

    [Test]
    public void DefaultOptionsAllowTheTapAndHandlerOptionsDoNot()
    {
        static bool With(Action<ClientWebSocketOptions> configure)
        {
            using var socket = new ClientWebSocket();
            configure(socket.Options);
            return TapConnector.CanTap(socket.Options);
        }

        Assert.Multiple(() =>
        {
            Assert.That(With(_ => { }), Is.True);
            Assert.That(With(o => o.Proxy = null), Is.True);
            Assert.That(With(o => o.SetRequestHeader("Authorization", "Bearer x")), Is.True);
            Assert.That(With(o => o.Proxy = new WebProxy("http://127.0.0.1:9")), Is.False);
            Assert.That(With(o => o.Cookies = new CookieContainer()), Is.False);
            Assert.That(With(o => o.Credentials = new NetworkCredential("u", "p")), Is.False);
            Assert.That(With(o => o.UseDefaultCredentials = true), Is.False);
            Assert.That(With(o => o.RemoteCertificateValidationCallback = (_, _, _, errors) => errors == System.Net.Security.SslPolicyErrors.None), Is.False);
            Assert.That(With(o => o.HttpVersion = HttpVersion.Version20), Is.False);
            Assert.That(With(o => o.DangerousDeflateOptions = new WebSocketDeflateOptions()), Is.False);
        });
    }

    [Test]
    public async Task ARealServerReadsTappedFramesSmallAndLargeAndPingsStillWork()
    {
        await using var server = await ScriptedServer.StartAsync();
        var options = new WebSocketSignalingChannelOptions
        {
            Reconnect = false,
            CloseTimeout = TimeSpan.FromMilliseconds(100),
            KeepAliveInterval = TimeSpan.FromMilliseconds(20),
            MaxMessageSize = 1 << 20,
        };
        await using var channel = await WebSocketSignalingChannel.ConnectAsync(server.Uri, options);
        var side = await server.AcceptAsync();
        var big = JsonElement.Parse(JsonSerializer.Serialize(new { sdp = new string('s', 150_000) }));
        var calls = new List<Task<JsonElement>>();
        for (var i = 0; i < 20; i++)
        {
            calls.Add(channel.RelayAsync("g", "u" + i, i == 7 ? big : JsonElement.Parse("{\"n\":" + i + "}")));
        }

        for (var i = 0; i < 20; i++)
        {
            var request = await side.ReceiveJsonAsync();
            var data = request.GetProperty("params")[2];
            Assert.That(request.GetProperty("params")[1].GetString(), Is.EqualTo("u" + i));
            if (i == 7)
            {
                Assert.That(data.GetProperty("sdp").GetString(), Has.Length.EqualTo(150_000));
            }
            else
            {
                Assert.That(data.GetProperty("n").GetInt32(), Is.EqualTo(i));
            }

            await side.SendAsync($$"""{"jsonrpc":"2.0","id":{{request.GetProperty("id").GetInt64()}},"result":{{i}}}""");
        }

        var results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(results.Select(r => r.GetInt32()), Is.EqualTo(Enumerable.Range(0, 20)));
    }

    /// <summary>A write-only stream that records what was written and how many writes it took.</summary>
    private sealed class RecordingStream : MemoryStream
    {
        public int Writes { get; private set; }

        public bool Fail { get; init; }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Fail)
            {
                throw new IOException("broken pipe");
            }

            Writes++;
            return base.WriteAsync(buffer, cancellationToken);
        }
    }
}

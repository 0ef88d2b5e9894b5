using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Playwright;

namespace P2p.Testing.Chromium;

/// <summary>One RTCPeerConnection inside a Chromium page, driven from .NET (see Browser/rtc-peer.js).</summary>
public sealed class BrowserPeer
{
    private readonly IPage _page;
    private readonly ConcurrentQueue<string> _pageErrors;
    private readonly Channel<string?> _candidates = Channel.CreateUnbounded<string?>();

    private readonly IBrowserContext? _ownContext;

    internal BrowserPeer(IPage page, string name, ConcurrentQueue<string> pageErrors, IBrowserContext? ownContext)
    {
        _page = page;
        Name = name;
        _pageErrors = pageErrors;
        _ownContext = ownContext;
    }

    public string Name { get; }

    /// <summary>Local candidates as the browser's JSON (RTCIceCandidateInit); null marks end-of-candidates.</summary>
    public ChannelReader<string?> LocalCandidates => _candidates.Reader;

    /// <summary>Errors thrown by scripts in the page (a test should assert there are none).</summary>
    public IReadOnlyCollection<string> PageErrors => _pageErrors;

    internal void OnLocalCandidate(string? json) => _candidates.Writer.TryWrite(json);

    internal Task CreateAsync(string? configurationJson) =>
        Call<bool>("([n, c]) => p2pTest.create(n, c ? JSON.parse(c) : undefined)", new object?[] { Name, configurationJson });

    public Task CreateChannelAsync(string label, object? options = null) =>
        Call<bool>("([n, l, o]) => p2pTest.createChannel(n, l, o ? JSON.parse(o) : undefined)",
            new object?[] { Name, label, options is null ? null : JsonSerializer.Serialize(options) });

    /// <summary>Creates an offer and sets it as the local description. Returns {type, sdp} JSON.</summary>
    public Task<SessionDescriptionJson> CreateOfferAsync() =>
        Call<SessionDescriptionJson>("n => p2pTest.offer(n)", Name);

    /// <summary>Sets the remote offer, creates and sets the answer.</summary>
    public Task<SessionDescriptionJson> AnswerAsync(SessionDescriptionJson offer) =>
        Call<SessionDescriptionJson>("([n, o]) => p2pTest.answer(n, o)", new object[] { Name, offer });

    /// <summary>Sets the remote answer.</summary>
    public Task AcceptAsync(SessionDescriptionJson answer) =>
        Call<bool>("([n, a]) => p2pTest.accept(n, a)", new object[] { Name, answer });

    /// <summary>Adds a remote candidate given as RTCIceCandidateInit JSON.</summary>
    public Task AddCandidateAsync(string candidateJson) =>
        Call<bool>("([n, c]) => p2pTest.addCandidate(n, JSON.parse(c))", new object[] { Name, candidateJson });

    public Task<JsonElement> WaitOpenAsync(string label, int timeoutMs = 15_000) =>
        Call<JsonElement>("([n, l, t]) => p2pTest.waitOpen(n, l, t)", new object[] { Name, label, timeoutMs });

    public Task EchoAsync(string label) => Call<bool>("([n, l]) => p2pTest.echo(n, l)", new object[] { Name, label });

    public async Task<string> RoundTripTextAsync(string label, string text, int timeoutMs = 15_000)
    {
        var reply = await Call<JsonElement>("([n, l, m, t]) => p2pTest.roundTrip(n, l, m, t)",
            new object[] { Name, label, new { text }, timeoutMs }).ConfigureAwait(false);
        return reply.TryGetProperty("text", out var t) ? t.GetString()! : throw new InvalidOperationException("expected a text reply, got binary");
    }

    public async Task<byte[]> RoundTripBinaryAsync(string label, byte[] data, int timeoutMs = 15_000)
    {
        var reply = await Call<JsonElement>("([n, l, m, t]) => p2pTest.roundTrip(n, l, m, t)",
            new object[] { Name, label, new { b64 = Convert.ToBase64String(data) }, timeoutMs }).ConfigureAwait(false);
        return reply.TryGetProperty("b64", out var b) ? Convert.FromBase64String(b.GetString()!) : throw new InvalidOperationException("expected a binary reply, got text");
    }

    public Task ArmReceiveAsync(string label, long total) =>
        Call<bool>("([n, l, t]) => p2pTest.armReceive(n, l, t)", new object[] { Name, label, total });

    /// <summary>Counts incoming bytes on a channel (no hashing) until <paramref name="total"/> arrived; collect with <see cref="ReceivedAsync"/>.</summary>
    public Task ArmCountAsync(string label, long total) =>
        Call<bool>("([n, l, t]) => p2pTest.armCount(n, l, t)", new object[] { Name, label, total });

    /// <summary>Ping-pong of <paramref name="size"/>-byte messages against an echoing peer; round-trip times in microseconds.</summary>
    public Task<double[]> PingPongAsync(string label, int count, int size, int warmup, int timeoutMs) =>
        Call<double[]>("([n, l, c, s, w, t]) => p2pTest.pingPong(n, l, c, s, w, t)", new object[] { Name, label, count, size, warmup, timeoutMs });

    public Task<JsonElement> ReceivedAsync(int timeoutMs) =>
        Call<JsonElement>("([n, t]) => p2pTest.received(n, t)", new object[] { Name, timeoutMs });

    /// <summary>
    /// Sends <paramref name="total"/> bytes in <paramref name="size"/>-byte messages with back-pressure
    /// (pause above <paramref name="high"/> buffered, resume at <paramref name="low"/>). The stream is
    /// <see cref="BulkPattern"/>; with <paramref name="reuseBuffer"/> every message is the same buffer
    /// (the pattern from offset 0), as a throughput measurement wants.
    /// </summary>
    public Task<JsonElement> SendBulkAsync(string label, long total, int size, int timeoutMs, long high = 4 << 20, long low = 1 << 20, bool reuseBuffer = false) =>
        Call<JsonElement>("([n, l, t, s, h, lo, to, r]) => p2pTest.sendBulk(n, l, t, s, h, lo, to, r)",
            new object[] { Name, label, total, size, high, low, timeoutMs, reuseBuffer });

    /// <summary>Waits until the page's connectionState is <paramref name="state"/> (fails early on failed/closed).</summary>
    public Task WaitConnectionStateAsync(string state, int timeoutMs = 15_000) =>
        Call<bool>("([n, s, t]) => p2pTest.waitConnectionState(n, s, t)", new object[] { Name, state, timeoutMs });

    public Task<JsonElement> StateAsync() => Call<JsonElement>("n => p2pTest.state(n)", Name);

    public Task CloseChannelAsync(string label) => Call<bool>("([n, l]) => p2pTest.closeChannel(n, l)", new object[] { Name, label });

    public Task WaitChannelClosedAsync(string label, int timeoutMs = 15_000) =>
        Call<bool>("([n, l, t]) => p2pTest.waitChannelClosed(n, l, t)", new object[] { Name, label, timeoutMs });

    /// <summary>Closes the peer connection (and the page's context when the peer has its own).</summary>
    public async Task CloseAsync()
    {
        await Call<bool>("n => p2pTest.close(n)", Name).ConfigureAwait(false);
        if (_ownContext is not null)
        {
            await _ownContext.CloseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The bytes of the bulk stream sendBulk produces: byte i is (i * 31 + 7) mod 256.</summary>
    public static byte[] BulkPattern(long offset, int count)
    {
        var data = new byte[count];
        for (var i = 0; i < count; i++)
        {
            data[i] = (byte)(((offset + i) * 31) + 7);
        }

        return data;
    }

    private async Task<T> Call<T>(string expression, object? arg)
    {
        try
        {
            return await _page.EvaluateAsync<T>(expression, arg).ConfigureAwait(false);
        }
        catch (PlaywrightException e)
        {
            throw new InvalidOperationException($"Browser peer {Name}: {e.Message}", e);
        }
    }
}

/// <summary>The browser's RTCSessionDescriptionInit: {"type": "offer"|"answer", "sdp": "..."}.</summary>
/// <remarks>Lower-case property names: Playwright maps them to and from the page's objects by name.</remarks>
#pragma warning disable IDE1006 // naming: these mirror the browser's field names
public sealed class SessionDescriptionJson
{
    public string type { get; set; } = string.Empty;

    public string sdp { get; set; } = string.Empty;
}
#pragma warning restore IDE1006

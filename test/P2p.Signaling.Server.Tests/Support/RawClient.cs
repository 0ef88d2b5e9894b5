using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace P2p.Signaling.Server.Tests.Support;

/// <summary>
/// A plain <see cref="ClientWebSocket"/> that writes literal JSON-RPC frames, written from the
/// protocol table alone (none of our client code), to prove wire compatibility.
/// </summary>
internal sealed class RawClient : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket _socket = new();
    private readonly List<JsonElement> _unclaimed = [];
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private Task _receiveLoop = Task.CompletedTask;
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;
    private int _nextId;

    public string UserId { get; private set; } = "";

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseDescription => _socket.CloseStatusDescription;

    /// <summary>Completes when the server closed the connection.</summary>
    public Task Closed => _receiveLoop;

    public static async Task<RawClient> ConnectAsync(Uri uri, bool init = true)
    {
        var client = new RawClient();
        await client._socket.ConnectAsync(uri, CancellationToken.None).WaitAsync(Wait);
        client._receiveLoop = client.ReceiveLoopAsync();
        if (init)
        {
            client.UserId = (await client.CallAsync("init", "[]")).GetProperty("result").GetString()!;
        }

        return client;
    }

    public async Task SendAsync(string text) => await SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public async Task SendAsync(byte[] bytes, WebSocketMessageType type)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, type, true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends <c>{"jsonrpc":"2.0","id":N,"method":...,"params":...}</c> and returns the response with that id.</summary>
    public async Task<JsonElement> CallAsync(string method, string paramsJson)
    {
        var id = Interlocked.Increment(ref _nextId);
        await SendAsync($$"""{"jsonrpc":"2.0","id":{{id}},"method":"{{method}}","params":{{paramsJson}}}""");
        return await ResponseAsync(id);
    }

    /// <summary>Sends a literal frame and returns the next message (use when nothing else can arrive).</summary>
    public async Task<JsonElement> SendAndReceiveAsync(string text)
    {
        await SendAsync(text);
        return await ExpectAsync(_ => true);
    }

    /// <summary>Calls and returns the error code (failing if the call succeeded).</summary>
    public async Task<int> ErrorCodeAsync(string method, string paramsJson)
    {
        var response = await CallAsync(method, paramsJson);
        Assert.That(response.TryGetProperty("error", out var error), Is.True, $"expected an error, got {response.GetRawText()}");
        return error.GetProperty("code").GetInt32();
    }

    public Task<JsonElement> ResponseAsync(int id) =>
        ExpectAsync(m => m.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.Number && i.GetInt32() == id && !m.TryGetProperty("method", out _));

    /// <summary>The next relay request the server sends this client.</summary>
    public Task<JsonElement> RelayRequestAsync() => ExpectAsync(m => m.TryGetProperty("method", out var x) && x.GetString() == "relay");

    public Task<JsonElement> NotificationAsync(string method) =>
        ExpectAsync(m => m.TryGetProperty("method", out var x) && x.GetString() == method && !m.TryGetProperty("id", out _));

    /// <summary>Answers a relay request with a raw result or error member, e.g. <c>"result":{...}</c>.</summary>
    public Task AnswerAsync(JsonElement relayRequest, string member) =>
        SendAsync($$"""{"jsonrpc":"2.0","id":{{relayRequest.GetProperty("id").GetRawText()}},{{member}}}""");

    /// <summary>The first message (received or still to come) that matches; other messages stay queued. Safe to await concurrently.</summary>
    public async Task<JsonElement> ExpectAsync(Func<JsonElement, bool> match)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            Task signal;
            lock (_unclaimed)
            {
                var index = _unclaimed.FindIndex(m => match(m));
                if (index >= 0)
                {
                    var found = _unclaimed[index];
                    _unclaimed.RemoveAt(index);
                    return found;
                }

                if (_closed)
                {
                    throw new InvalidOperationException("The server closed the connection; unclaimed: " + string.Join(" ", _unclaimed.Select(m => m.GetRawText())));
                }

                signal = _arrived.Task;
            }

            try
            {
                await signal.WaitAsync(deadline - DateTime.UtcNow > TimeSpan.Zero ? deadline - DateTime.UtcNow : TimeSpan.Zero);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException("No matching message within " + Wait + "; unclaimed: " + string.Join(" ", Unclaimed()));
            }
        }
    }

    /// <summary>Messages received but not yet claimed by an expectation.</summary>
    public IReadOnlyList<string> Unclaimed()
    {
        lock (_unclaimed)
        {
            return _unclaimed.Select(m => m.GetRawText()).ToList();
        }
    }

    private void Arrive(JsonElement? message)
    {
        TaskCompletionSource previous;
        lock (_unclaimed)
        {
            if (message is { } m)
            {
                _unclaimed.Add(m);
            }
            else
            {
                _closed = true;
            }

            previous = _arrived;
            _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    public async Task CloseAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WaitAsync(Wait);
        }

        await _receiveLoop.WaitAsync(Wait);
    }

    /// <summary>Drops the TCP connection without a closing handshake.</summary>
    public async Task AbortAsync()
    {
        _socket.Abort();
        await _receiveLoop.WaitAsync(Wait);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Already gone.
        }

        _socket.Abort();
        await _receiveLoop.ContinueWith(_ => { }, TaskScheduler.Default);
        _socket.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[4 << 20];
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    }

                    return;
                }

                Arrive(JsonElement.Parse(buffer.AsSpan(0, count)));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Connection dropped or aborted.
        }
        finally
        {
            Arrive(null);
        }
    }
}

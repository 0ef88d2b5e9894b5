using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>
/// A hand-driven member for protocol tests: literal JSON-RPC over a ClientWebSocket. The test answers the
/// server's <c>relay</c> requests itself (or not), so it can play a member that fails, or one that breaks
/// the offer rule (glare).
/// </summary>
internal sealed class RawSignalingClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly Channel<JsonElement> _requests = Channel.CreateUnbounded<JsonElement>();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _receiveLoop = Task.CompletedTask;
    private long _nextId;

    public string UserId { get; private set; } = "";

    /// <summary>The server's requests to this client (relays), as received.</summary>
    public ChannelReader<JsonElement> Requests => _requests.Reader;

    public static async Task<RawSignalingClient> ConnectAsync(Uri uri)
    {
        var client = new RawSignalingClient();
        await client._socket.ConnectAsync(uri, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        client._receiveLoop = client.ReceiveLoopAsync();
        client.UserId = (await client.CallAsync("init")).GetString()!;
        return client;
    }

    /// <summary>Calls a method; returns its result, throws <see cref="RawRpcException"/> for an error.</summary>
    public async Task<JsonElement> CallAsync(string method, params object?[] parameters)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        await SendAsync(new { jsonrpc = "2.0", id, method, @params = parameters });
        var response = await answer.Task.WaitAsync(TimeSpan.FromSeconds(15));
        if (response.TryGetProperty("error", out var error))
        {
            throw new RawRpcException(error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString()!);
        }

        return response.GetProperty("result");
    }

    /// <summary>The next relay the server forwards to this client whose data has the given type.</summary>
    public async Task<JsonElement> NextRelayAsync(string type, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var request = await _requests.Reader.ReadAsync(cts.Token);
            if (request.GetProperty("method").GetString() != "relay")
            {
                continue; // member_joined / member_left
            }

            var data = request.GetProperty("params")[2];
            if (data.TryGetProperty("type", out var t) && t.GetString() == type)
            {
                return request;
            }

            await RespondAsync(request, null); // e.g. a candidate: answered with null and skipped
        }
    }

    public Task RespondAsync(JsonElement request, object? result) =>
        SendAsync(new { jsonrpc = "2.0", id = request.GetProperty("id"), result });

    public Task RespondErrorAsync(JsonElement request, int code, string message) =>
        SendAsync(new { jsonrpc = "2.0", id = request.GetProperty("id"), error = new { code, message } });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, new CancellationTokenSource(TimeSpan.FromSeconds(2)).Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The server went first.
        }

        try
        {
            await _receiveLoop.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException)
        {
            // Closed.
        }

        _socket.Dispose();
    }

    private async Task SendAsync(object message)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message);
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, true, _stop.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage)
                {
                    continue;
                }

                var element = JsonDocument.Parse(Encoding.UTF8.GetString(message.ToArray())).RootElement.Clone();
                message.SetLength(0);
                if (element.TryGetProperty("method", out _))
                {
                    _requests.Writer.TryWrite(element);
                }
                else if (element.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && _pending.TryRemove(id.GetInt64(), out var answer))
                {
                    answer.TrySetResult(element);
                }
            }
        }
        finally
        {
            _requests.Writer.TryComplete();
        }
    }
}

internal sealed class RawRpcException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}

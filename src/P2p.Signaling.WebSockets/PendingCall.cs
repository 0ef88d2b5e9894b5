using System.Text.Json;
using P2p.Signaling.Abstractions;

namespace P2p.Signaling.WebSockets;

/// <summary>Turns a response's raw <c>result</c> into the call's return value; throws <see cref="JsonException"/> on a wrong shape.</summary>
internal delegate T ResultDecoder<T>(ReadOnlySpan<byte> json);

/// <summary>A request waiting for its response.</summary>
internal abstract class PendingCall
{
    protected PendingCall(string method, long deadline)
    {
        Method = method;
        Deadline = deadline;
    }

    public string Method { get; }

    /// <summary>When the call times out, in <see cref="Environment.TickCount64"/> milliseconds.</summary>
    public long Deadline { get; }

    /// <summary>Completes the call with the response's raw <c>result</c>. Never throws.</summary>
    public abstract void Complete(ReadOnlySpan<byte> result);

    /// <summary>Fails the call. Never throws.</summary>
    public abstract void Fail(Exception exception);
}

internal sealed class PendingCall<T>(string method, ResultDecoder<T> decoder, long deadline) : PendingCall(method, deadline)
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public override void Complete(ReadOnlySpan<byte> result)
    {
        T value;
        try
        {
            value = decoder(result);
        }
        catch (JsonException ex)
        {
            _completion.TrySetException(new SignalingException(
                SignalingErrorCode.InvalidResponse,
                $"The answer to '{Method}' does not have the expected shape: {ex.Message}",
                null,
                ex));
            return;
        }

        _completion.TrySetResult(value);
    }

    public override void Fail(Exception exception) => _completion.TrySetException(exception);
}

/// <summary>The decoders of the protocol's results.</summary>
internal static class ResultDecoders
{
    private static SignalingJsonContext Context => SignalingJsonContext.Default;

    public static readonly ResultDecoder<string> String = static json =>
        JsonSerializer.Deserialize(json, Context.String) ?? throw new JsonException("expected a string, got null");

    public static readonly ResultDecoder<bool> Ignore = static _ => true;

    public static readonly ResultDecoder<IReadOnlyList<string>> StringList = static json =>
    {
        var values = JsonSerializer.Deserialize(json, Context.StringArray) ?? throw new JsonException("expected an array, got null");
        if (Array.IndexOf(values, null) >= 0)
        {
            throw new JsonException("expected an array of strings, got a null element");
        }

        return values;
    };

    public static readonly ResultDecoder<GroupInfo> Group = static json =>
    {
        var group = JsonSerializer.Deserialize(json, Context.GroupInfo) ?? throw new JsonException("expected an object, got null");
        if (group.Id is null || group.Owner is null || group.Members is null || group.Members.Any(m => m is null))
        {
            throw new JsonException("expected {\"id\",\"owner\",\"capability\",\"members\"}");
        }

        return group;
    };

    public static readonly ResultDecoder<JsonElement> Element = static json => JsonElement.Parse(json);
}

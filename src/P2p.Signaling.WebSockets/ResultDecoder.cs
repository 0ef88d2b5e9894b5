namespace P2p.Signaling.WebSockets;

/// <summary>Turns a response's raw <c>result</c> into the call's return value; throws <see cref="System.Text.Json.JsonException"/> on a wrong shape.</summary>
internal delegate T ResultDecoder<T>(ReadOnlySpan<byte> json);

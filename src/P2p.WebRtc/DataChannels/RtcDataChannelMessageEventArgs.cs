using System.Text;

namespace P2p.WebRtc.DataChannels;

/// <summary>A message received on a data channel.</summary>
/// <param name="isText">True for a string message (PPID 51/56), false for binary (53/57).</param>
/// <param name="data">The message bytes (UTF-8 for strings); the handler may keep them.</param>
public sealed class RtcDataChannelMessageEventArgs(bool isText, ReadOnlyMemory<byte> data) : EventArgs
{
    /// <summary>True for a string message, false for a binary one.</summary>
    public bool IsText { get; } = isText;

    /// <summary>The message's bytes (UTF-8 for a string message). The receiver owns them.</summary>
    public ReadOnlyMemory<byte> Data { get; } = data;

    /// <summary>The message decoded as UTF-8 (meaningful for string messages).</summary>
    public string Text => Encoding.UTF8.GetString(Data.Span);
}

using System.Buffers.Binary;
using System.Text;
using P2p.WebRtc.Sctp.Parameters;

namespace P2p.WebRtc.Sctp.ErrorCauses;

/// <summary>
/// Error causes (RFC 9260 §3.3.10): code, length, cause-specific information; the list in an ABORT
/// or ERROR chunk has the TLV layout of parameters.
/// </summary>
internal static class ErrorCause
{
    /// <summary>Writes a cause; returns its padded size.</summary>
    public static int Write(Span<byte> destination, SctpErrorCauseCode code, ReadOnlySpan<byte> information)
        => ParameterWriter.Write(destination, (ushort)code, information);

    /// <summary>The padded size of a cause with <paramref name="informationLength"/> bytes of information.</summary>
    public static int SizeOf(int informationLength) => ParameterWriter.SizeOf(informationLength);

    /// <summary>Writes a User-Initiated Abort cause (§3.3.10.12) with an UTF-8 reason, truncated to <paramref name="maxReasonBytes"/>.</summary>
    public static int WriteUserInitiatedAbort(Span<byte> destination, string? reason, int maxReasonBytes = 256)
    {
        Span<byte> text = stackalloc byte[maxReasonBytes];
        var n = 0;
        if (!string.IsNullOrEmpty(reason))
        {
            n = Encoding.UTF8.GetBytes(reason.AsSpan(0, Math.Min(reason.Length, maxReasonBytes / 4)), text);
        }

        return Write(destination, SctpErrorCauseCode.UserInitiatedAbort, text[..n]);
    }

    /// <summary>Writes a Protocol Violation cause (§3.3.10.13) with an UTF-8 text.</summary>
    public static int WriteProtocolViolation(Span<byte> destination, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return Write(destination, SctpErrorCauseCode.ProtocolViolation, bytes);
    }

    /// <summary>Writes a Stale Cookie cause (§3.3.10.3): the staleness in microseconds.</summary>
    public static int WriteStaleCookie(Span<byte> destination, uint stalenessMicroseconds)
    {
        Span<byte> info = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(info, stalenessMicroseconds);
        return Write(destination, SctpErrorCauseCode.StaleCookieError, info);
    }

    /// <summary>Writes an Invalid Stream Identifier cause (§3.3.10.1).</summary>
    public static int WriteInvalidStreamIdentifier(Span<byte> destination, ushort streamId)
    {
        Span<byte> info = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(info, streamId);
        BinaryPrimitives.WriteUInt16BigEndian(info[2..], 0);
        return Write(destination, SctpErrorCauseCode.InvalidStreamIdentifier, info);
    }

    /// <summary>
    /// Summarises a list of causes for logs and close reasons: the first cause's code, and a text
    /// (the UTF-8 reason of a User-Initiated Abort or Protocol Violation, else the code names).
    /// </summary>
    public static (SctpErrorCauseCode Code, string Text) Describe(ReadOnlySpan<byte> causes)
    {
        var it = new ParameterIterator(causes);
        var first = SctpErrorCauseCode.None;
        var text = new StringBuilder();
        while (it.MoveNext(out var cause))
        {
            var code = (SctpErrorCauseCode)cause.TypeValue;
            if (first == SctpErrorCauseCode.None)
            {
                first = code;
            }

            if (text.Length > 0)
            {
                text.Append("; ");
            }

            text.Append(Enum.IsDefined(code) ? code.ToString() : $"cause {cause.TypeValue}");
            if ((code == SctpErrorCauseCode.UserInitiatedAbort || code == SctpErrorCauseCode.ProtocolViolation) && !cause.Value.IsEmpty)
            {
                text.Append(": ").Append(DecodeText(cause.Value));
            }
        }

        return (first, text.ToString());
    }

    private static string DecodeText(ReadOnlySpan<byte> bytes)
    {
        var s = Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, 512)]);
        return s.Replace('\0', ' ').Trim();
    }
}

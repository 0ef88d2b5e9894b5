using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using P2p.WebRtc;

namespace WebRtcEcho;

/// <summary>
/// Writes the signaling output: one JSON object per line on stdout, flushed per line. Candidates
/// gathered before the local description is printed wait for it, so a peer always reads the
/// description first.
/// </summary>
internal sealed class JsonLineWriter(Stream output, ILogger logger)
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // SDP carries '+', '/' and quotes; JSON allows them unescaped, and stdout is not HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Lock _sync = new();
    private readonly List<byte[]> _pending = [];
    private bool _descriptionWritten;
    private bool _broken;

    /// <summary>Writes <c>{"type":"offer"|"answer","sdp":…}</c>, then any candidate line held back for it.</summary>
    public void WriteDescription(RtcSessionDescription description)
    {
        // Written by hand: serializing RtcSessionDescription with System.Text.Json gives "type":"Offer".
        var line = Build(w =>
        {
            w.WriteString("type", description.TypeName);
            w.WriteString("sdp", description.Sdp);
        });
        lock (_sync)
        {
            _descriptionWritten = true;
            WriteLocked(line);
            foreach (var pending in _pending)
            {
                WriteLocked(pending);
            }

            _pending.Clear();
        }
    }

    /// <summary>Writes <c>{"type":"candidate","candidate":…,"sdpMid":…,"sdpMLineIndex":…}</c>; null is end-of-candidates (<c>"candidate":""</c>).</summary>
    public void WriteCandidate(RtcIceCandidateInit? candidate, string mid)
    {
        var line = Build(w =>
        {
            w.WriteString("type", "candidate");
            w.WriteString("candidate", candidate?.Candidate ?? string.Empty);
            w.WriteString("sdpMid", candidate?.SdpMid ?? mid);
            w.WriteNumber("sdpMLineIndex", candidate?.SdpMLineIndex ?? 0);
            if (candidate?.UsernameFragment is { } ufrag)
            {
                w.WriteString("usernameFragment", ufrag);
            }
        });
        lock (_sync)
        {
            if (_descriptionWritten)
            {
                WriteLocked(line);
            }
            else
            {
                _pending.Add(line);
            }
        }
    }

    /// <summary>Writes offer mode's final line (docs/webrtc-echo.md, "The result line").</summary>
    public void WriteResult(TransferResult? result, ExitCode code, string? error)
    {
        var line = Build(w =>
        {
            w.WriteString("type", "result");
            w.WriteBoolean("ok", code == ExitCode.Ok);
            if (result is not null)
            {
                w.WriteNumber("bytes", result.Bytes);
                w.WriteNumber("messages", result.Messages);
                w.WriteNumber("seconds", Math.Round(result.Seconds, 6));
                w.WriteNumber("mbPerSecond", Math.Round(result.MegabytesPerSecond, 3));
            }

            if (code != ExitCode.Ok)
            {
                w.WriteNumber("exitCode", (int)code);
                w.WriteString("error", error ?? string.Empty);
            }
        });
        lock (_sync)
        {
            WriteLocked(line);
        }
    }

    private static byte[] Build(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private void WriteLocked(byte[] line)
    {
        if (_broken)
        {
            return;
        }

        try
        {
            output.Write(line);
            output.Flush();
        }
        catch (IOException e)
        {
            // The reader of stdout went away: the peer can no longer hear us, but the connection may live on.
            _broken = true;
            logger.LogWarning("stdout is closed; no more signaling lines can be written ({Message})", e.Message);
        }
    }
}

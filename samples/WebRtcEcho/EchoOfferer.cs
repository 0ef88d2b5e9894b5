using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using P2p.WebRtc;
using P2p.WebRtc.DataChannels;

namespace WebRtcEcho;

/// <summary>
/// Offer mode: offers, opens channel <c>echo</c>, sends a text message, a binary message and the bulk
/// stream with back-pressure, and checks that all of it comes back (<see cref="EchoVerifier"/>).
/// </summary>
internal sealed class EchoOfferer(RtcPeerConnection pc, SignalingLink link, EchoOptions options, RunGuard guard, ILogger logger)
{
    /// <summary>The label of the channel offer mode opens.</summary>
    public const string ChannelLabel = "echo";

    /// <summary>The text message: non-ASCII on purpose, so that a lossy echo shows.</summary>
    public const string TextMessage = "hello from WebRtcEcho: ünïcödé ✓ 漢字 🙂";

    /// <summary>
    /// At most this many bulk bytes are out (sent and not yet back) at a time: the end-to-end window
    /// that keeps the echoing peer's send queue bounded however fast this side can send.
    /// </summary>
    public const long EchoWindow = 16L << 20;

    private volatile bool _closing;

    /// <summary>The binary message: every byte value (so a text round trip could not survive it), 1 KiB.</summary>
    public static byte[] BinaryMessage { get; } = [.. Enumerable.Range(0, 1024).Select(i => (byte)(255 - (i % 256)))];

    public async Task<TransferResult> RunAsync(ChannelReader<string> lines, CancellationToken cancellationToken)
    {
        var verifier = new EchoVerifier(TextMessage, BinaryMessage, new TestPattern(), options.BulkBytes, options.MessageSize);
        var channel = pc.CreateDataChannel(ChannelLabel);
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Opened += (_, _) => opened.TrySetResult();
        channel.MessageReceived += (_, e) => verifier.OnMessage(e);
        channel.Closed += (_, _) =>
        {
            if (!_closing)
            {
                guard.Abort(new EchoException(ExitCode.Failed, $"channel '{ChannelLabel}' closed before everything came back ({Progress(verifier)})"));
            }
        };
        pc.ConnectionStateChanged += (_, state) =>
        {
            if (_closing)
            {
                return;
            }

            if (state == RtcPeerConnectionState.Connected)
            {
                logger.LogInformation("connected ({Pair})", pc.SelectedCandidatePair);
            }
            else if (state == RtcPeerConnectionState.Failed)
            {
                guard.Abort(new EchoException(ExitCode.Failed, $"the connection failed: {pc.Error?.Message ?? "ICE failed (no candidate pair works, or consent expired: the peer stopped answering)"}"));
            }
            else if (state == RtcPeerConnectionState.Closed)
            {
                guard.Abort(new EchoException(ExitCode.Failed, $"the peer closed the connection before everything came back ({Progress(verifier)})"));
            }
        };

        var offer = await pc.CreateOfferAsync(cancellationToken).ConfigureAwait(false);
        await pc.SetLocalDescriptionAsync(offer, cancellationToken).ConfigureAwait(false);
        await guard.WaitAsync(link.PublishAsync(offer, cancellationToken), "gathering candidates", cancellationToken).ConfigureAwait(false);
        guard.Observe(link.RunAsync(lines, "answer", AcceptAsync, cancellationToken));
        await guard.WaitAsync(opened.Task, "waiting for the answer and the channel to open", cancellationToken).ConfigureAwait(false);
        CheckMessageSize(channel.MaxMessageSize);

        guard.Progress = () => Progress(verifier);
        var result = await TransferAsync(channel, verifier, cancellationToken).ConfigureAwait(false);
        guard.Progress = null;

        _closing = true;
        channel.Close();
        await pc.CloseAsync().ConfigureAwait(false);
        return result;
    }

    private Task AcceptAsync(RtcSessionDescription answer)
    {
        // Throws on a bad answer; the link turns that into exit code 4.
        var applied = pc.SetRemoteDescriptionAsync(answer);
        CheckMessageSize(pc.RemoteMaxMessageSize);
        return applied;
    }

    private void CheckMessageSize(long peerMaximum)
    {
        if (options.MessageSize > peerMaximum)
        {
            throw new EchoException(ExitCode.Usage,
                $"--msg-kib {options.MessageSize >> 10} ({options.MessageSize} bytes) exceeds the peer's maximum message size of {peerMaximum} bytes (a=max-message-size); use --msg-kib {peerMaximum >> 10} or less");
        }
    }

    private async Task<TransferResult> TransferAsync(RtcDataChannel channel, EchoVerifier verifier, CancellationToken cancellationToken)
    {
        const string phase = "transferring";
        var pattern = new TestPattern();
        var buffer = new byte[Math.Min(options.MessageSize, Math.Max(1, options.BulkBytes))];
        long started;
        try
        {
            channel.Send(TextMessage);
            channel.Send(BinaryMessage);
            started = Stopwatch.GetTimestamp();
            long messages = 0;
            for (long offset = 0; offset < options.BulkBytes; offset += buffer.Length)
            {
                var length = (int)Math.Min(buffer.Length, options.BulkBytes - offset);
                if (offset + length - verifier.BulkBytesBack > EchoWindow)
                {
                    await guard.WaitAsync(verifier.WaitForBulkAsync(offset + length - EchoWindow), phase, cancellationToken).ConfigureAwait(false);
                }

                pattern.Fill(offset, buffer.AsSpan(0, length));
                await guard.WaitAsync(channel.SendAsync(buffer.AsMemory(0, length), cancellationToken), phase, cancellationToken).ConfigureAwait(false);
                messages++;
            }

            logger.LogDebug("sent {Messages} bulk messages; waiting for the rest of the echo", messages);
            await guard.WaitAsync(verifier.Completion, "waiting for the echo", cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            // The channel closed under a send: the guard usually knows why.
            throw guard.Error ?? new EchoException(ExitCode.Failed, $"sending failed: {e.Message} ({Progress(verifier)})", e);
        }

        var seconds = options.BulkBytes == 0 ? 0 : Stopwatch.GetElapsedTime(started, verifier.FinishedAt).TotalSeconds;
        var result = new TransferResult(options.BulkBytes, verifier.BulkMessagesBack, seconds);
        logger.LogInformation(
            "the text and binary messages came back typed and intact; {Bytes} bulk bytes ({MiB:0.##} MiB in {Messages} messages of {Size} bytes) echoed back intact and in order in {Seconds:0.000} s: {Rate:0.0} MB/s each way",
            result.Bytes, result.Bytes / 1048576.0, result.Messages, options.MessageSize, result.Seconds, result.MegabytesPerSecond);
        return result;
    }

    private string Progress(EchoVerifier verifier) => $"{verifier.BulkBytesBack} of {options.BulkBytes} bulk bytes back";
}

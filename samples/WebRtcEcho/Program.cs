using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using P2p.WebRtc;

namespace WebRtcEcho;

/// <summary>
/// WebRtcEcho: one P2p.WebRtc peer whose signaling is JSON lines on stdin/stdout, for pairing with any
/// WebRTC implementation (docs/webrtc-echo.md). Stdout carries signaling JSON only; logs go to stderr.
/// </summary>
internal static class Program
{
    private const string Name = "WebRtcEcho";

    public static async Task<int> Main(string[] args)
    {
        // Stdout is the signaling channel: keep the real stream for JSON lines and send any stray
        // Console.Write (ours or a library's) to stderr.
        var signalingOut = Console.OpenStandardOutput();
        Console.SetOut(Console.Error);

        EchoOptions options;
        try
        {
            options = EchoOptions.Parse(args);
        }
        catch (EchoException e)
        {
            await Console.Error.WriteLineAsync($"{Name}: {e.Message}\n\n{EchoOptions.Usage}").ConfigureAwait(false);
            return (int)ExitCode.Usage;
        }

        if (options.Help)
        {
            await Console.Error.WriteLineAsync(EchoOptions.Usage).ConfigureAwait(false);
            return (int)ExitCode.Ok;
        }

        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            interrupt.Cancel();
        });

        ExitCode code;
        string? reason;
        var logging = CreateLogging(options.Verbose);
        try
        {
            (code, reason) = await RunAsync(options, logging, signalingOut, interrupt.Token).ConfigureAwait(false);
        }
        finally
        {
            logging.Dispose(); // flushes the console logger before the last words below
        }

        if (code != ExitCode.Ok)
        {
            await Console.Error.WriteLineAsync($"{Name}: error (exit {(int)code}): {reason}").ConfigureAwait(false);
        }

        return (int)code;
    }

    private static async Task<(ExitCode Code, string? Reason)> RunAsync(EchoOptions options, ILoggerFactory logging, Stream signalingOut, CancellationToken interrupt)
    {
        var logger = logging.CreateLogger(Name);
        var output = new JsonLineWriter(signalingOut, logger);
        var lines = ReadStandardInput();
        var guard = new RunGuard();
        using var timeout = new CancellationTokenSource();
        if (options.Timeout is { } limit)
        {
            timeout.CancelAfter(limit);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, interrupt);
        var configuration = new RtcConfiguration
        {
            IceServers = options.IceServers,
            IceTransportPolicy = options.RelayOnly ? P2p.WebRtc.Ice.IceTransportPolicy.Relay : P2p.WebRtc.Ice.IceTransportPolicy.All,
            AddressFilter = options.Loopback ? a => a.Equals(IPAddress.Loopback) : null,
            LoggerFactory = logging,
        };
        logger.LogInformation(
            "{Mode} mode{Trickle}{Loopback}, timeout {Timeout}",
            options.Offer ? $"offer ({options.BulkBytes >> 20} MiB in {options.MessageSize >> 10} KiB messages)" : "answer",
            options.NoTrickle ? ", no trickle" : string.Empty,
            options.Loopback ? ", loopback only" : string.Empty,
            options.Timeout is { } t ? t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s" : "none");

        var pc = new RtcPeerConnection(configuration);
        await using (pc.ConfigureAwait(false))
        {
            var link = new SignalingLink(pc, output, options, logger);
            ExitCode code;
            string? reason = null;
            TransferResult? result = null;
            try
            {
                if (options.Offer)
                {
                    result = await new EchoOfferer(pc, link, options, guard, logger).RunAsync(lines, linked.Token).ConfigureAwait(false);
                }
                else
                {
                    await new EchoAnswerer(pc, link, guard, logger).RunAsync(lines, linked.Token).ConfigureAwait(false);
                }

                code = ExitCode.Ok;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                code = ExitCode.Timeout;
                reason = $"timed out after {options.Timeout!.Value.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s {guard.Phase} " +
                    $"(ICE {pc.IceConnectionState}, connection {pc.ConnectionState})";
            }
            catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
            {
                code = ExitCode.Interrupted;
                reason = $"interrupted {guard.Phase}";
            }
            catch (EchoException e)
            {
                code = e.Code;
                reason = e.Message;
            }

            if (options.Offer)
            {
                output.WriteResult(result, code, reason);
            }

            return (code, reason);
        }
    }

    /// <summary>Stdin lines, read on a background thread (a blocked read never holds up the exit).</summary>
    private static ChannelReader<string> ReadStandardInput()
    {
        var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var thread = new Thread(() =>
        {
            try
            {
                using var reader = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
                while (reader.ReadLine() is { } line)
                {
                    lines.Writer.TryWrite(line);
                }

                lines.Writer.TryComplete();
            }
            catch (IOException e)
            {
                lines.Writer.TryComplete(e);
            }
        })
        {
            IsBackground = true,
            Name = "stdin",
        };
        thread.Start();
        return lines.Reader;
    }

    private static ILoggerFactory CreateLogging(bool verbose) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information);
        if (!verbose)
        {
            builder.AddFilter("P2p", LogLevel.Warning); // the stack's own categories: warnings and errors only
        }

        builder.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.ColorBehavior = Console.IsErrorRedirected ? LoggerColorBehavior.Disabled : LoggerColorBehavior.Default;
        });
        builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // every level to stderr, never stdout
    });
}

using System.Globalization;
using P2p.WebRtc;

namespace WebRtcEcho;

/// <summary>The command line (docs/webrtc-echo.md, "Options").</summary>
internal sealed record EchoOptions
{
    public const string Usage = """
        usage: WebRtcEcho [--offer [--mib N] [--msg-kib K]] [--no-trickle] [--loopback]
                          [--timeout S] [--ice-server URL [--username U --credential C]]...
                          [--relay-only] [--verbose]

        One WebRTC data-channel peer; signaling is JSON lines on stdin/stdout.
          (default)       answer mode: answer an offer, echo every message on every channel
          --offer         offer mode: open channel 'echo', send a text, a binary and N MiB, check the echo
          --mib N         offer mode: MiB of bulk data to echo (default 8; 0 = only the text and binary)
          --msg-kib K     offer mode: bulk message size in KiB (default 64; at most the peer's max-message-size)
          --no-trickle    gather first, print one description with every candidate, no candidate lines
          --loopback      only 127.0.0.1 host candidates; non-loopback remote candidates are ignored
          --timeout S     give up after S seconds, exit 3 (default 60; 0 = never)
          --ice-server URL  a STUN or TURN server (repeatable; none by default): stun:HOST[:PORT],
                          turn:HOST[:PORT][?transport=tcp], turns:HOST[:PORT]; --stun URL is the same
          --username U    the TURN user name of the --ice-server before it
          --credential C  the TURN password of the --ice-server before it
          --relay-only    use relayed (TURN) candidates only (ICE transport policy "relay")
          --verbose, -v   debug logs of every layer on stderr
          --help, -h      this text
        exit codes: 0 ok, 1 connection/transfer failed, 2 usage, 3 timeout, 4 bad signaling input, 130 interrupted
        """;

    /// <summary>Offer mode (<c>--offer</c>); answer mode otherwise.</summary>
    public bool Offer { get; init; }

    /// <summary>Bulk bytes to echo in offer mode.</summary>
    public long BulkBytes { get; init; } = 8L << 20;

    /// <summary>Bulk message size in bytes.</summary>
    public int MessageSize { get; init; } = 64 << 10;

    /// <summary>Gather first and put every candidate in the description.</summary>
    public bool NoTrickle { get; init; }

    /// <summary>127.0.0.1 host candidates only.</summary>
    public bool Loopback { get; init; }

    /// <summary>The overall time limit; null for none.</summary>
    public TimeSpan? Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>STUN and TURN servers given with <c>--ice-server</c> (or <c>--stun</c>).</summary>
    public IReadOnlyList<RtcIceServer> IceServers { get; init; } = [];

    /// <summary>Relayed candidates only (<c>--relay-only</c>).</summary>
    public bool RelayOnly { get; init; }

    /// <summary>Debug logging.</summary>
    public bool Verbose { get; init; }

    /// <summary><c>--help</c>.</summary>
    public bool Help { get; init; }

    /// <summary>Parses the arguments.</summary>
    /// <exception cref="EchoException">With <see cref="ExitCode.Usage"/> for anything wrong.</exception>
    public static EchoOptions Parse(IReadOnlyList<string> args)
    {
        var options = new EchoOptions();
        var servers = new List<RtcIceServer>();
        bool mibGiven = false, kibGiven = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inline = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            string Value()
            {
                if (inline is not null)
                {
                    return inline;
                }

                if (i + 1 >= args.Count)
                {
                    throw UsageError($"{arg} needs a value");
                }

                return args[++i];
            }

            void NoValue()
            {
                if (inline is not null)
                {
                    throw UsageError($"{arg} takes no value");
                }
            }

            switch (arg)
            {
                case "--offer":
                    NoValue();
                    options = options with { Offer = true };
                    break;
                case "--mib":
                    options = options with { BulkBytes = (long)ParseInt(arg, Value(), 0, 1 << 20) << 20 };
                    mibGiven = true;
                    break;
                case "--msg-kib":
                    options = options with { MessageSize = ParseInt(arg, Value(), 1, 1 << 20) << 10 };
                    kibGiven = true;
                    break;
                case "--no-trickle":
                    NoValue();
                    options = options with { NoTrickle = true };
                    break;
                case "--loopback":
                    NoValue();
                    options = options with { Loopback = true };
                    break;
                case "--timeout":
                    var seconds = ParseSeconds(arg, Value());
                    options = options with { Timeout = seconds == 0 ? null : TimeSpan.FromSeconds(seconds) };
                    break;
                case "--stun" or "--ice-server":
                    servers.Add(new RtcIceServer(Value()));
                    break;
                case "--username":
                    servers[LastServer(arg, servers)] = servers[^1] with { Username = Value() };
                    break;
                case "--credential":
                    servers[LastServer(arg, servers)] = servers[^1] with { Credential = Value() };
                    break;
                case "--relay-only":
                    NoValue();
                    options = options with { RelayOnly = true };
                    break;
                case "--verbose" or "-v":
                    NoValue();
                    options = options with { Verbose = true };
                    break;
                case "--help" or "-h":
                    NoValue();
                    options = options with { Help = true };
                    break;
                default:
                    throw UsageError($"unknown argument '{args[i]}'");
            }
        }

        if (!options.Offer && (mibGiven || kibGiven))
        {
            throw UsageError("--mib and --msg-kib apply only with --offer");
        }

        foreach (var server in servers)
        {
            try
            {
                _ = server.ParseUrls(); // a bad URL or missing credentials is a usage error now, not a surprise later
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw UsageError($"--ice-server {server.Urls[0]}: {e.Message}");
            }
        }

        if (options.RelayOnly && !servers.Exists(s => s.ParseUrls().Any(u => u.IsTurn)))
        {
            throw UsageError("--relay-only needs a TURN server (--ice-server turn:HOST --username U --credential C)");
        }

        return options with { IceServers = servers };
    }

    private static int LastServer(string arg, List<RtcIceServer> servers) =>
        servers.Count > 0 ? servers.Count - 1 : throw UsageError($"{arg} must follow an --ice-server");

    private static int ParseInt(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw UsageError($"{name} must be a whole number from {min} to {max}, not '{text}'");

    private static double ParseSeconds(string name, string text) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 86_400 * 365
            ? value
            : throw UsageError($"{name} must be a number of seconds (0 = never), not '{text}'");

    private static EchoException UsageError(string message) => new(ExitCode.Usage, message);
}

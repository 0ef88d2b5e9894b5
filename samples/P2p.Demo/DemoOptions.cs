using System.Globalization;

namespace P2p.Demo;

/// <summary>Command-line options of the demo.</summary>
internal sealed record DemoOptions
{
    public int Members { get; init; } = 4;

    public int MessageSize { get; init; } = 1024;

    public int Messages { get; init; } = 10;

    public Uri? Server { get; init; }

    public bool AllInterfaces { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public bool Verbose { get; init; }

    public const string Usage = """
        P2p demo: an embedded signaling server and N .NET members forming a full WebRTC mesh.

        usage: dotnet run --project samples/P2p.Demo -- [options]
          --members N        members in the group (default 4, at least 2)
          --size BYTES       size of each broadcast (default 1024; larger than 256 KiB is split)
          --messages N       broadcasts per member (default 10)
          --server URL       use this signaling server (ws://HOST:PORT/) instead of an embedded one
          --all-interfaces   gather candidates on every interface (default: 127.0.0.1 only)
          --timeout SECONDS  give up after this long (default 60)
          --verbose          log the SDK's debug output to stderr
        """;

    /// <summary>Parses the arguments; throws <see cref="FormatException"/> with a clear message on bad input.</summary>
    public static DemoOptions Parse(string[] args)
    {
        var options = new DemoOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value.");
            int Number(int min)
            {
                var name = args[i];
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
                    ? n
                    : throw new FormatException($"{name} must be a whole number of at least {min}, not '{text}'.");
            }

            options = args[i] switch
            {
                "--members" => options with { Members = Number(2) },
                "--size" => options with { MessageSize = Number(1) },
                "--messages" => options with { Messages = Number(1) },
                "--server" => options with
                {
                    Server = Uri.TryCreate(Value(), UriKind.Absolute, out var uri) && uri.Scheme is "ws" or "wss"
                        ? uri
                        : throw new FormatException("--server must be a ws:// or wss:// URL."),
                },
                "--all-interfaces" => options with { AllInterfaces = true },
                "--timeout" => options with { Timeout = TimeSpan.FromSeconds(Number(1)) },
                "--verbose" => options with { Verbose = true },
                _ => throw new FormatException($"Unknown option '{args[i]}'."),
            };
        }

        return options;
    }
}

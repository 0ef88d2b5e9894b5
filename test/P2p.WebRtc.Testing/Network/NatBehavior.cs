namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// What a <see cref="VirtualRouter"/> does to the datagrams it forwards: plain routing (<see cref="None"/>) or
/// network address and port translation with the behaviours RFC 4787 classifies.
/// </summary>
public sealed record NatBehavior
{
    /// <summary>
    /// Whether the router translates. When <see langword="false"/> it routes without translation or filtering: the
    /// inside hosts' addresses are reachable from the outside as they are.
    /// </summary>
    public bool Translates { get; init; } = true;

    /// <summary>The mapping behaviour (RFC 4787 §4.1).</summary>
    public NatMappingBehavior Mapping { get; init; } = NatMappingBehavior.EndpointIndependent;

    /// <summary>The filtering behaviour (RFC 4787 §5).</summary>
    public NatFilteringBehavior Filtering { get; init; } = NatFilteringBehavior.AddressAndPortDependent;

    /// <summary>
    /// Whether an inside host can reach another inside host through the router's external address and port
    /// (RFC 4787 §6, REQ-9); the datagram arrives from the sender's external address and port.
    /// </summary>
    public bool Hairpinning { get; init; }

    /// <summary>
    /// How long a mapping lives without outbound traffic (RFC 4787 §4.3; outbound datagrams refresh it, inbound ones
    /// do not). <see langword="null"/>: mappings never expire.
    /// </summary>
    public TimeSpan? MappingTimeout { get; init; }

    /// <summary>No translation: plain routing.</summary>
    public static NatBehavior None { get; } = new() { Translates = false };

    /// <summary>Endpoint-independent mapping and filtering ("full cone").</summary>
    public static NatBehavior FullCone { get; } = new()
    {
        Mapping = NatMappingBehavior.EndpointIndependent,
        Filtering = NatFilteringBehavior.EndpointIndependent,
    };

    /// <summary>Endpoint-independent mapping, address-dependent filtering ("restricted cone").</summary>
    public static NatBehavior RestrictedCone { get; } = new()
    {
        Mapping = NatMappingBehavior.EndpointIndependent,
        Filtering = NatFilteringBehavior.AddressDependent,
    };

    /// <summary>Endpoint-independent mapping, address-and-port-dependent filtering ("port-restricted cone").</summary>
    public static NatBehavior PortRestrictedCone { get; } = new()
    {
        Mapping = NatMappingBehavior.EndpointIndependent,
        Filtering = NatFilteringBehavior.AddressAndPortDependent,
    };

    /// <summary>Address-dependent mapping and filtering.</summary>
    public static NatBehavior AddressDependent { get; } = new()
    {
        Mapping = NatMappingBehavior.AddressDependent,
        Filtering = NatFilteringBehavior.AddressDependent,
    };

    /// <summary>Address-and-port-dependent mapping and filtering ("symmetric").</summary>
    public static NatBehavior Symmetric { get; } = new()
    {
        Mapping = NatMappingBehavior.AddressAndPortDependent,
        Filtering = NatFilteringBehavior.AddressAndPortDependent,
    };

    /// <summary>A short name: "no NAT", or the RFC 4787 abbreviations of mapping and filtering ("EIM/APDF").</summary>
    /// <returns>The name.</returns>
    public override string ToString()
    {
        if (!Translates)
        {
            return "no NAT";
        }

        var name = $"{Abbreviation(Mapping)}M/{Abbreviation(Filtering)}F";
        if (Hairpinning)
        {
            name += "+hairpin";
        }

        return MappingTimeout is { } t ? $"{name} (timeout {t.TotalSeconds:0.###} s)" : name;
    }

    private static string Abbreviation(NatMappingBehavior b) => b switch
    {
        NatMappingBehavior.EndpointIndependent => "EI",
        NatMappingBehavior.AddressDependent => "AD",
        _ => "APD",
    };

    private static string Abbreviation(NatFilteringBehavior b) => b switch
    {
        NatFilteringBehavior.EndpointIndependent => "EI",
        NatFilteringBehavior.AddressDependent => "AD",
        _ => "APD",
    };
}

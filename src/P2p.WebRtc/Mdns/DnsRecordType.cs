namespace P2p.WebRtc.Mdns;

/// <summary>The DNS resource record types mDNS for ICE deals with (RFC 1035 §3.2.2, RFC 3596 §2.1).</summary>
internal enum DnsRecordType : ushort
{
    /// <summary>An IPv4 address.</summary>
    A = 1,

    /// <summary>A domain name pointer (DNS-SD browsing; never answered here).</summary>
    Ptr = 12,

    /// <summary>An IPv6 address (RFC 3596).</summary>
    Aaaa = 28,

    /// <summary>A negative-response bitmap (RFC 6762 §6.1; never answered here).</summary>
    Nsec = 47,

    /// <summary>The query type for every record type of a name (QTYPE "*").</summary>
    Any = 255,
}

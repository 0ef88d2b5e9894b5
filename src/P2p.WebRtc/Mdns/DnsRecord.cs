using System.Net;
using System.Net.Sockets;

namespace P2p.WebRtc.Mdns;

/// <summary>One resource record of a DNS message (RFC 1035 §4.1.3); the data of A and AAAA records is decoded.</summary>
/// <param name="Name">The owner name, without a trailing dot.</param>
/// <param name="Type">TYPE.</param>
/// <param name="Class">CLASS without its top bit (1 = IN).</param>
/// <param name="CacheFlush">The top bit of CLASS in mDNS: this record replaces the cached ones of the same name and type (RFC 6762 §10.2).</param>
/// <param name="Ttl">The time to live, in seconds.</param>
/// <param name="Address">The address of an A (4 bytes) or AAAA (16 bytes) record; <see langword="null"/> for other types.</param>
internal sealed record DnsRecord(string Name, DnsRecordType Type, ushort Class, bool CacheFlush, uint Ttl, IPAddress? Address)
{
    /// <summary>An A or AAAA record of the Internet class for <paramref name="address"/>.</summary>
    public static DnsRecord ForAddress(string name, IPAddress address, uint ttl, bool cacheFlush) => new(
        name,
        address.AddressFamily == AddressFamily.InterNetworkV6 ? DnsRecordType.Aaaa : DnsRecordType.A,
        DnsQuestion.ClassIn,
        cacheFlush,
        ttl,
        address);
}

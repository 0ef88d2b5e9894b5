namespace P2p.WebRtc.Mdns;

/// <summary>One entry of a DNS message's question section (RFC 1035 §4.1.2, RFC 6762 §18.12).</summary>
/// <param name="Name">The queried name, without a trailing dot (e.g. <c>1f0e….local</c>).</param>
/// <param name="Type">QTYPE.</param>
/// <param name="Class">QCLASS without its top bit (1 = IN).</param>
/// <param name="UnicastResponse">The top bit of QCLASS in mDNS: a "QU" question asks for a unicast reply (RFC 6762 §5.4); clear is "QM".</param>
internal sealed record DnsQuestion(string Name, DnsRecordType Type, ushort Class = DnsQuestion.ClassIn, bool UnicastResponse = false)
{
    /// <summary>The Internet class.</summary>
    public const ushort ClassIn = 1;

    /// <summary>The top bit of the class field: unicast-response in a question, cache-flush in a record (RFC 6762 §10.2, §18.12).</summary>
    public const ushort TopBit = 0x8000;
}

using System.Buffers.Binary;
using P2p.WebRtc.Stun;

namespace P2p.Fuzzing.Support;

/// <summary>
/// Makes a fuzzed STUN message's checks pass so the fuzzer reaches the code behind them: the header length is set
/// to the message's, MESSAGE-INTEGRITY (SHA-1 and SHA-256) is computed with the target's key and FINGERPRINT is
/// stamped. A fuzzer cannot find an HMAC or a CRC by mutation; the unfixed bytes are always tried first.
/// </summary>
internal static class StunFixup
{
    /// <summary>Fixes <paramref name="message"/> in place; false when it is not STUN-shaped enough to fix.</summary>
    public static bool Apply(Span<byte> message, ReadOnlySpan<byte> key)
    {
        if (message.Length < StunConstants.HeaderSize || message.Length > ushort.MaxValue + StunConstants.HeaderSize || (message.Length & 3) != 0)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(message[2..], (ushort)(message.Length - StunConstants.HeaderSize));
        var changed = false;
        Span<byte> mac = stackalloc byte[32];
        var pos = StunConstants.HeaderSize;
        while (message.Length - pos >= 4)
        {
            var type = (StunAttributeType)BinaryPrimitives.ReadUInt16BigEndian(message[pos..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(pos + 2)..]);
            var padded = (length + 3) & ~3;
            if (padded > message.Length - pos - 4)
            {
                break;
            }

            var value = message.Slice(pos + 4, length);
            switch (type)
            {
                case StunAttributeType.MessageIntegrity when length == 20:
                    StunIntegrity.ComputeHmac(message, pos, pos + 4 + 20 - StunConstants.HeaderSize, key, false, value);
                    changed = true;
                    break;
                case StunAttributeType.MessageIntegritySha256 when length is >= 16 and <= 32:
                    StunIntegrity.ComputeHmac(message, pos, pos + 4 + length - StunConstants.HeaderSize, key, true, mac);
                    mac[..length].CopyTo(value);
                    changed = true;
                    break;
                case StunAttributeType.Fingerprint when length == 4:
                    BinaryPrimitives.WriteUInt32BigEndian(value, StunIntegrity.Fingerprint(message[..pos]));
                    changed = true;
                    break;
            }

            pos += 4 + padded;
        }

        return changed;
    }
}

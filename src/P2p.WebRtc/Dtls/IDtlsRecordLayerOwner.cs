namespace P2p.WebRtc.Dtls;

/// <summary>Receives what <see cref="DtlsRecordLayer"/> decrypts: application data and alerts.</summary>
internal interface IDtlsRecordLayerOwner
{
    /// <summary>An authenticated application_data record's plaintext (valid only during the call).</summary>
    void OnApplicationData(ReadOnlySpan<byte> data);

    /// <summary>An authenticated alert (RFC 5246 §7.2).</summary>
    void OnAlert(byte level, byte description);
}

namespace P2p.Core.Transfers;

/// <summary>A stream another member started sending to this one (see <see cref="StreamReceiver"/>).</summary>
/// <param name="Sender">The sending member.</param>
/// <param name="TransferId">The transfer's id, chosen by the sender.</param>
/// <param name="Name">The name the sender gave (<see cref="StreamTransferOptions.Name"/>).</param>
/// <param name="Length">The stream's length, when the sender knew it.</param>
public sealed record IncomingStream(IPeer Sender, Guid TransferId, string Name, long? Length);

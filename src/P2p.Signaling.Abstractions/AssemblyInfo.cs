namespace P2p.Signaling.Abstractions;

namespace P2p.Signaling.WebSockets;

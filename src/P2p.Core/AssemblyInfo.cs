namespace P2p.Core;

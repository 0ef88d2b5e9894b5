using System.Diagnostics.CodeAnalysis;

namespace P2p.Signaling.Server.Routing;

/// <summary>Finds the peer serving a user id: the routing seam a distributed deployment replaces.</summary>
internal interface IPeerDirectory
{
    /// <summary>Registers an initialised peer; <see langword="false"/> if its id is taken.</summary>
    bool TryRegister(ISignalingPeer peer);

    /// <summary>Removes a peer (only if it is the one registered under its id).</summary>
    void Unregister(ISignalingPeer peer);

    /// <summary>Finds the peer of a user.</summary>
    bool TryGet(string userId, [NotNullWhen(true)] out ISignalingPeer? peer);
}

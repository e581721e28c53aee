namespace Spokes.Contracts.Commands;

/// <summary>
/// Sent by Pushd to the Api, which keeps sessions: the push service said this session's subscription no longer exists
/// (Web Push 404/410, FCM <c>UNREGISTERED</c>, APNs 410). The Api clears it only while it still points at
/// <paramref name="Endpoint"/> and <paramref name="Auth"/>, so a subscription the client replaced meanwhile stays.
/// </summary>
public sealed record RemovePushSubscription(string UserId, string SessionId, string Endpoint, string Auth);

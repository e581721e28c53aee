namespace Spokes.Pushd.Delivery;

/// <summary>One session's subscription: a Web Push URL with its keys, or <c>fcm</c> / <c>apn</c> with the device token in <see cref="Auth"/>.</summary>
public sealed record PushTarget(string UserId, string SessionId, string Endpoint, string P256dh, string Auth)
{
    public PushService Service => Endpoint switch
    {
        "fcm" => PushService.Fcm,
        "apn" => PushService.Apns,
        _ => PushService.WebPush,
    };
}

public enum PushService { WebPush, Fcm, Apns }

public enum DeliveryOutcome
{
    Delivered,

    /// <summary>The push service says the subscription no longer exists: it is removed.</summary>
    Gone,

    /// <summary>Not delivered, and not tried again (a refused address, a rejected request, retries used up).</summary>
    Failed,
}

/// <summary>Sends one notification to one subscription of its service. Never throws for the push service's answers.</summary>
public interface IPushSender
{
    PushService Service { get; }

    Task<DeliveryOutcome> SendAsync(PushTarget target, Notifications.Notification notification, CancellationToken cancellationToken);
}

namespace Spokes.Pushd;

public sealed class PushdOptions
{
    public const string SectionName = "Pushd";

    /// <summary>The suite's public address: notification icons and links point there.</summary>
    public string PublicUrl { get; set; } = "http://localhost";

    /// <summary>The VAPID key pair (base64url P-256 point and scalar); the public key is the one <c>GET /</c> announces.</summary>
    public string VapidPublicKey { get; set; } = "";

    public string VapidPrivateKey { get; set; } = "";

    /// <summary>The contact VAPID tokens name, for push services' operators.</summary>
    public string VapidSubject { get; set; } = "mailto:admin@localhost";

    /// <summary>Deliveries in flight at once for one event.</summary>
    public int Concurrency { get; set; } = 32;

    /// <summary>
    /// How long one push may take once started. A started push is not cut short when its event's consume is cancelled
    /// (the broker gone, Pushd stopping), since the push service may already hold it.
    /// </summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Users asked about per call to the Api (Stoat's <c>mass_mention_chunk_size</c>).</summary>
    public int ChunkSize { get; set; } = 200;

    /// <summary>How long an event id is remembered, so a redelivery sends nothing twice.</summary>
    public TimeSpan DeduplicationWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long resolved names are kept (Stoat's <c>render_cache_time</c>).</summary>
    public TimeSpan NameCacheTime { get; set; } = TimeSpan.FromSeconds(60);

    public FcmOptions Fcm { get; set; } = new();

    public ApnsOptions Apns { get; set; } = new();
}

public sealed class FcmOptions
{
    /// <summary>The service account key file Google hands out (JSON); FCM is off without it.</summary>
    public string ServiceAccountJson { get; set; } = "";

    /// <summary>Overrides the key file's <c>token_uri</c>.</summary>
    public string? TokenUrl { get; set; }

    public string ApiUrl { get; set; } = "https://fcm.googleapis.com";

    public bool Enabled => ServiceAccountJson.Length > 0;
}

public sealed class ApnsOptions
{
    /// <summary>The .p8 signing key: PEM, or its base64 PKCS#8 body as Stoat takes it. APNs is off without it.</summary>
    public string PrivateKey { get; set; } = "";

    public string KeyId { get; set; } = "";

    public string TeamId { get; set; } = "";

    /// <summary>The app's bundle id (Stoat's is <c>chat.revolt.app</c>).</summary>
    public string Topic { get; set; } = "chat.revolt.app";

    public bool Sandbox { get; set; }

    /// <summary>Overrides the Apple host the sandbox switch picks (tests use a local stand-in).</summary>
    public string? Url { get; set; }

    public string BaseUrl => Url ?? (Sandbox ? "https://api.sandbox.push.apple.com" : "https://api.push.apple.com");

    public bool Enabled => PrivateKey.Length > 0 && KeyId.Length > 0 && TeamId.Length > 0;
}

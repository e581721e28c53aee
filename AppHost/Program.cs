using Spokes.AppHost.Suite;

var builder = DistributedApplication.CreateBuilder(args);
// Options, profile and data folder come first: they decide what each resource below is.
var suite = SpokesSuite.Create(builder, args);

// Infrastructure: containers in the containers profile (and in every publish); in the local profile redis-server
// and rabbitmq-server as programs on this machine, and a SQLite file and a file folder, all under the data folder.
var mongo = suite.AddChatDatabase("mongo");
var redis = suite.AddRedis("redis");
var rabbitmq = suite.AddRabbitMQ("rabbitmq");
var s3 = suite.AddFileStorage("s3");
// Autumn's file records: a SQLite file of its own locally, its own collections in the chat database otherwise.
var fileRecords = suite.AddFileRecords("files-db", mongo);
var livekit = suite.AddLiveKit("livekit"); // null: voice off
var (vapidPublicKey, vapidPrivateKey) = suite.AddVapidKeys("vapid");
// Proves a call between services comes from inside the suite (the Events service's gRPC calls to the Api).
var internalKey = suite.AddSecret("internal-key");
// The chat content is encrypted under it (AES-256-GCM, keys wrapped by its Argon2id key); it never enters the data folder.
var masterPassword = suite.AddMasterPassword();
// Files at rest are AES-256-GCM under this key (base64 of 32 bytes): losing it loses every file.
var fileKey = suite.AddSecret("autumn-encryption-key", () => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
// The tunnels' public domain (DNS: a wildcard record to the edge); *.localhost names resolve to this machine.
var tunnelDomain = suite.AddSetting("tunnel-domain", "tunnels.localhost");
// The services that fetch URLs users chose reach public addresses only; the operator may name private host:port
// pairs they may reach too (a page server on loopback in tests, an intranet in a private deployment).
var egressAllow = suite.AddSetting("egress-allow", Environment.GetEnvironmentVariable("SPOKES_EGRESS_ALLOW") ?? "");

// Services
var api = builder.AddProject<Projects.Spokes_Api>("api")
    // --api-replicas N: N processes behind one proxied address (what holds across replicas is measured and tested so).
    .WithServiceDefaults(suite, replicas: suite.Options.ApiReplicas)
    .WithGrpcEndpoint(suite)
    .WithReference(mongo).WaitFor(mongo)
    .WithReference(redis).WaitFor(redis)
    .WithReference(rabbitmq).WaitFor(rabbitmq)
    .WithEnvironment("Api__PublicUrl", suite.PublicUrl)
    .WithEnvironment("Api__VapidPublicKey", vapidPublicKey)
    // The suite always runs Autumn and January: the root configuration tells clients to use them.
    .WithEnvironment("Api__AutumnEnabled", "true")
    .WithEnvironment("Api__JanuaryEnabled", "true")
    .WithEnvironment("Internal__Key", internalKey)
    .WithEnvironment("Api__MasterPassword", masterPassword);
// The first start's setup wizard, or the answers of SPOKES_SETUP_FILE: until then nobody can sign up.
suite.RequireSetup(api);

var events = builder.AddProject<Projects.Spokes_Events>("events")
    .WithServiceDefaults(suite)
    .WithReference(redis).WaitFor(redis)
    // The Api's internal gRPC (session auth, Ready), not its public REST.
    .WithReference(api.GetEndpoint("grpc")).WaitFor(api)
    .WithEnvironment("Internal__Key", internalKey);

var autumn = builder.AddProject<Projects.Spokes_Autumn>("autumn")
    .WithServiceDefaults(suite)
    .WithGrpcEndpoint(suite)
    .WithReference(s3).WaitFor(s3)
    .WithReference(fileRecords, "files-db").WaitFor(fileRecords)
    .WithReference(rabbitmq).WaitFor(rabbitmq)
    // The Api's internal gRPC: uploads are authenticated by its Sessions service.
    .WithReference(api.GetEndpoint("grpc")).WaitFor(api)
    .WithEnvironment("Internal__Key", internalKey)
    .WithEnvironment("Autumn__EncryptionKey", fileKey);
// The Api claims and releases files through Autumn's gRPC (files.proto).
api.WithReference(autumn.GetEndpoint("grpc"));

var january = builder.AddProject<Projects.Spokes_January>("january")
    .WithServiceDefaults(suite)
    .WithReference(redis).WaitFor(redis)
    // Messages' links arrive from the Api, and their embeds go back to it, over RabbitMQ.
    .WithReference(rabbitmq).WaitFor(rabbitmq)
    .WithEnvironment("Egress__Allow", egressAllow);

// GIF search: the provider (tenor or klipy) and its API key; without a key Gifbox answers FeatureDisabled.
var gifbox = builder.AddProject<Projects.Spokes_Gifbox>("gifbox")
    .WithServiceDefaults(suite)
    .WithReference(redis).WaitFor(redis)
    // Tokens are checked by the Api's internal gRPC.
    .WithReference(api.GetEndpoint("grpc")).WaitFor(api)
    .WithEnvironment("Internal__Key", internalKey)
    .WithEnvironment("Gifbox__Provider", suite.AddSetting("gifbox-provider", "klipy"))
    .WithEnvironment("Gifbox__Tenor__Key", suite.AddOptionalSecret("gifbox-tenor-key"))
    .WithEnvironment("Gifbox__Klipy__Key", suite.AddOptionalSecret("gifbox-klipy-key"))
    .WithEnvironment("Egress__Allow", egressAllow);

// Crond only schedules: its replicas agree in Redis which one sends each period's command.
builder.AddProject<Projects.Spokes_Crond>("crond")
    .WithServiceDefaults(suite)
    .WithReference(redis).WaitFor(redis)
    .WithReference(rabbitmq).WaitFor(rabbitmq);

// Push notifications: Web Push always (the VAPID pair); FCM and APNs when their credentials are given
// (Parameters__fcm-service-account: Google's key file; Parameters__apns-private-key: the .p8 key, with its ids).
builder.AddProject<Projects.Spokes_Pushd>("pushd")
    .WithServiceDefaults(suite)
    .WithReference(redis).WaitFor(redis)
    .WithReference(rabbitmq).WaitFor(rabbitmq)
    // The Api's internal gRPC: recipients, subscriptions and names.
    .WithReference(api.GetEndpoint("grpc")).WaitFor(api)
    .WithEnvironment("Internal__Key", internalKey)
    .WithEnvironment("Pushd__PublicUrl", suite.PublicUrl)
    .WithEnvironment("Pushd__VapidPublicKey", vapidPublicKey)
    .WithEnvironment("Pushd__VapidPrivateKey", vapidPrivateKey)
    .WithEnvironment("Pushd__Fcm__ServiceAccountJson", suite.AddOptionalSecret("fcm-service-account"))
    .WithEnvironment("Pushd__Apns__PrivateKey", suite.AddOptionalSecret("apns-private-key"))
    .WithEnvironment("Pushd__Apns__KeyId", suite.AddSetting("apns-key-id", ""))
    .WithEnvironment("Pushd__Apns__TeamId", suite.AddSetting("apns-team-id", ""))
    .WithEnvironment("Pushd__Apns__Topic", suite.AddSetting("apns-topic", "chat.revolt.app"))
    .WithEnvironment("Pushd__Apns__Sandbox", suite.AddSetting("apns-sandbox", "false"))
    // Web Push endpoints are URLs users gave: public addresses only, but for the hosts the operator allows.
    .WithEnvironment("Egress__Allow", egressAllow);

// LiveKit's webhooks → voice state in Redis, events, and the Api's CallStarted messages (commands on RabbitMQ).
var voiceIngress = builder.AddProject<Projects.Spokes_VoiceIngress>("voice-ingress")
    .WithServiceDefaults(suite)
    .WithReference(redis).WaitFor(redis)
    .WithReference(rabbitmq).WaitFor(rabbitmq)
    .WithEnvironment("Api__PublicUrl", suite.PublicUrl);

// The tunnel edge publishes servers behind NAT under its own domain, on listeners of its own: visitors'
// HTTP by Host, `spokes-tunnel` clients (TLS), and the admin API for the `spokes` command line.
var tunnelEdge = builder.AddProject<Projects.Spokes_TunnelEdge>("tunnel-edge")
    .WithServiceDefaults(suite)
    .WithTcpEndpoint(suite, "public", targetPort: 8090)
    .WithTcpEndpoint(suite, "tunnel", targetPort: 8443)
    .WithTcpEndpoint(suite, "admin", targetPort: 7101)
    .WithEnvironment("TunnelEdge__Domain", tunnelDomain)
    .WithEnvironment("TunnelEdge__DataPath", suite.IsPublishing ? "/var/lib/spokes" : suite.ResourceFolder("tunnel-edge"))
    .WithEnvironment("TunnelEdge__Listen__TcpAddress", suite.IsPublishing ? "0.0.0.0" : "127.0.0.1")
    // Deployed: tokens, tunnels and counters survive a restart, and tunnels' TCP ports are the node's own.
    .WithPersistentFolder("data", "/var/lib/spokes")
    .WithHostPortRange("22000-22999/tcp");
tunnelEdge
    .WithEnvironment("TunnelEdge__Listen__Http", tunnelEdge.ListenAddress(suite, "public"))
    .WithEnvironment("TunnelEdge__Listen__Tunnel", tunnelEdge.ListenAddress(suite, "tunnel"))
    // Deployed on the node's network, the admin API stays on its loopback: `kubectl port-forward` reaches it.
    .WithEnvironment("TunnelEdge__Listen__Admin", suite.IsPublishing
        ? ReferenceExpression.Create($"127.0.0.1:{tunnelEdge.GetEndpoint("admin").Property(EndpointProperty.TargetPort)}")
        : tunnelEdge.ListenAddress(suite, "admin"));

// Edge: the one public entry point.
var gateway = builder.AddProject<Projects.Spokes_Gateway>("gateway")
    .WithServiceDefaults(suite, port: suite.Options.Port)
    .WithExternalHttpEndpoints()
    // Clients' own X-Forwarded-For is believed only from the proxies listed here (a reverse proxy, a tunnel client):
    // with --tunnel, the suite's own tunnel client on loopback, which passes on the visitor the edge saw.
    .WithEnvironment(ServiceProjects.TrustedProxiesVariable, suite.AddSetting("gateway-trusted-proxies", suite.Options.Tunnel is null ? "" : "127.0.0.0/8,::1/128"))
    // The origins whose pages may read the answers (a web client on a host of its own); empty, as in Stoat, any.
    .WithEnvironment("Gateway__AllowedOrigins", suite.AddSetting("gateway-allowed-origins", ""))
    // The Api's public REST only: its gRPC is for the services inside.
    .WithReference(api.GetEndpoint("http")).WaitFor(api)
    .WithReference(events).WaitFor(events)
    // Autumn's public routes only, as for the Api: its gRPC answers the Api.
    .WithReference(autumn.GetEndpoint("http")).WaitFor(autumn)
    .WithReference(january).WaitFor(january)
    .WithReference(gifbox).WaitFor(gifbox)
    .WithReference(voiceIngress).WaitFor(voiceIngress)
    .WithEnvironment("Gateway__PublicUrl", suite.PublicUrl);

// --tunnel: the Gateway published through a tunnel edge (a home server without port forwarding).
suite.AddPublicTunnel(gateway);

// Voice, when there is a LiveKit server: its keys for the Api and Voice-Ingress, its address for the Gateway.
if (livekit is not null)
{
    livekit.SendWebhooksTo(voiceIngress);
    api.WithReference(livekit.Server);
    voiceIngress.WithReference(livekit.Server);
    gateway.WithEnvironment("services__livekit__http__0", livekit.HttpUrl);
    // The suite's own LiveKit container is waited for. An operator's LiveKit that is down leaves calls, not chat,
    // unavailable: its probe and the Api's node health check show it on the dashboard.
    if (livekit.Container is not null)
    {
        api.WaitFor(livekit.Server);
        voiceIngress.WaitFor(livekit.Server);
        gateway.WaitFor(livekit.Server);
    }
}

builder.Build().Run();

// Internal on purpose: test projects load the AppHost beside a service, whose Program is public.
internal partial class Program;

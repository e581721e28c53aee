using Spokes.AppHost.Hosting;

var builder = DistributedApplication.CreateBuilder(args);

// Infrastructure: containers where a Docker/Podman engine answers (and in every publish); in the local
// profile, redis-server and rabbitmq-server as child processes, SQLite files and a file folder.
var mongo = builder.AddMongoDB("mongo");
var redis = builder.AddRedis("redis");
var rabbitmq = builder.AddRabbitMQ("rabbitmq");
var s3 = builder.AddS3("s3");
var livekit = builder.AddLiveKit("livekit"); // null: voice off
builder.AddTelemetryDashboard("aspire-dashboard");

var vapidPublicKey = builder.AddVapidKeys("vapid");
// The tunnels' public domain (DNS: a wildcard record to the edge); *.localhost names resolve to this machine.
var tunnelDomain = builder.AddParameter("tunnel-domain", secret: false, () => "tunnels.localhost");

// Services
var api = builder.AddProject("api", "services/Api/Spokes.Api.csproj")
    .WithGrpcEndpoint()
    .WithReference(mongo)
    .WithReference(redis)
    .WithReference(rabbitmq)
    .WithReference(livekit)
    .WithEnvironment("Api__PublicUrl", builder.PublicUrl)
    .WithEnvironment("Api__VapidPublicKey", vapidPublicKey);

var events = builder.AddProject("events", "services/Events/Spokes.Events.csproj")
    .WithReference(redis)
    .WithReference(api);

var autumn = builder.AddProject("autumn", "services/Autumn/Spokes.Autumn.csproj")
    .WithReference(s3);

var january = builder.AddProject("january", "services/January/Spokes.January.csproj")
    .WithReference(redis);

var gifbox = builder.AddProject("gifbox", "services/Gifbox/Spokes.Gifbox.csproj");

builder.AddProject("crond", "services/Crond/Spokes.Crond.csproj")
    .WithReference(rabbitmq);

builder.AddProject("pushd", "services/Pushd/Spokes.Pushd.csproj")
    .WithReference(rabbitmq);

var voiceIngress = builder.AddProject("voice-ingress", "services/VoiceIngress/Spokes.VoiceIngress.csproj")
    .WithReference(redis)
    .WithReference(livekit);

// The tunnel edge publishes servers behind NAT under its own domain, on listeners of its own: visitors'
// HTTP by Host, `spokes-tunnel` clients (TLS), and the admin API for the `spokes` command line.
builder.AddProject("tunnel-edge", "services/TunnelEdge/Spokes.TunnelEdge.csproj")
    .WithTcpEndpoint("public", targetPort: 8090)
    .WithTcpEndpoint("tunnel", targetPort: 8443)
    .WithTcpEndpoint("admin", targetPort: 7101)
    .WithEnvironment("TunnelEdge__Domain", tunnelDomain)
    .WithEnvironment("TunnelEdge__DataPath", builder.IsPublishing ? "/var/lib/spokes" : Path.Combine(builder.DataFolder, "tunnel-edge"))
    .WithEnvironment("TunnelEdge__Listen__Http", ListenAddress("public"))
    .WithEnvironment("TunnelEdge__Listen__Tunnel", ListenAddress("tunnel"))
    // Deployed on the node's network (below), the admin API stays on its loopback: `kubectl port-forward` reaches it.
    .WithEnvironment("TunnelEdge__Listen__Admin", builder.IsPublishing ? "127.0.0.1:{tunnel-edge.bindings.admin.targetPort}" : ListenAddress("admin"))
    .WithEnvironment("TunnelEdge__Listen__TcpAddress", builder.IsPublishing ? "0.0.0.0" : "127.0.0.1")
    // Deployed: tokens, tunnels and counters survive a restart, and tunnels' TCP ports are the node's own.
    .WithVolume("data", "/var/lib/spokes")
    .WithHostPortRange("22000-22999/tcp");

// Edge: the one public entry point.
builder.AddProject("gateway", "services/Gateway/Spokes.Gateway.csproj")
    .WithExternalHttpEndpoint(builder.Options.Port)
    .WithReference(api)
    .WithReference(events)
    .WithReference(autumn)
    .WithReference(january)
    .WithReference(gifbox)
    .WithReference(voiceIngress)
    .WithHttpReference(livekit)
    .WithEnvironment("Gateway__PublicUrl", builder.PublicUrl);

return builder.Build().Run();

// Run here, a listener binds loopback on its allocated port; deployed, every interface of the container.
string ListenAddress(string endpoint) => builder.IsPublishing
    ? $"*:{{tunnel-edge.bindings.{endpoint}.targetPort}}"
    : $"127.0.0.1:{{tunnel-edge.bindings.{endpoint}.port}}";

// Internal on purpose: test projects load the AppHost beside a service, whose Program is public.
internal partial class Program;

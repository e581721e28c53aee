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

builder.AddProject("tunnel-edge", "services/TunnelEdge/Spokes.TunnelEdge.csproj");

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

// Internal on purpose: test projects load the AppHost beside a service, whose Program is public.
internal partial class Program;

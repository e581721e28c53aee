using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Spokes.Contracts.Voice;
using Spokes.VoiceIngress.Webhooks;
using StackExchange.Redis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddStoatErrors();
builder.AddRedisClient("redis", configureOptions: RedisClientDefaults.Apply);
builder.AddMessageBus("rabbitmq");
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(VoiceMetrics.MeterName));

// The nodes, read as the Api reads them; a mistake stops the service with one line per mistake.
var configured = builder.Configuration.GetSection("Api:VoiceNodes").Get<List<VoiceNodeOptions>>() ?? [];
var (nodes, problems) = VoiceNodes.Read(configured, key => builder.Configuration[key], builder.Configuration["Api:PublicUrl"]);
if (problems.Count > 0) throw new InvalidOperationException("Voice-Ingress cannot start:\n" + string.Join("\n", problems));
builder.Services.AddSingleton<IReadOnlyList<LiveKitNode>>(nodes);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(services => new VoiceStates(services.GetRequiredService<IConnectionMultiplexer>()));
builder.Services.AddSingleton<VoiceMetrics>();
builder.Services.AddScoped<CallTracker>();

var app = builder.Build();

app.UseStoatErrors();
app.MapDefaultEndpoints();

// LiveKit posts each node's webhooks to /ingress/{node} (the Gateway strips /ingress).
app.MapPost("/{node}", async (string node, HttpContext context, IReadOnlyList<LiveKitNode> known, CallTracker calls, VoiceMetrics metrics, TimeProvider clock) =>
{
    if (known.FirstOrDefault(n => n.Name == node) is not { } from) return Refuse(HttpStatusCode.NotFound, "NotFound");
    // Webhooks are a few kilobytes; the body is read whole because its hash is what is signed.
    if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = 1 << 20;
    using var body = new MemoryStream();
    await context.Request.Body.CopyToAsync(body, context.RequestAborted);
    if (!WebhookVerifier.IsFrom(from, context.Request.Headers.Authorization, body.GetBuffer().AsSpan(0, (int)body.Length), clock.GetUtcNow()))
    {
        metrics.Webhook(node, "unknown", "refused");
        return Refuse(HttpStatusCode.Unauthorized, "NotAuthenticated");
    }
    if (LiveKitWebhook.Parse(body.GetBuffer().AsSpan(0, (int)body.Length)) is not { } webhook)
    {
        metrics.Webhook(node, "unknown", "malformed");
        return Refuse(HttpStatusCode.BadRequest, "FailedValidation");
    }
    await calls.HandleAsync(webhook, context.RequestAborted);
    metrics.Webhook(node, webhook.Event, "handled");
    return Results.NoContent();
});

app.Run();

// Stoat's error JSON, with where it was refused.
static IResult Refuse(HttpStatusCode status, string type, [System.Runtime.CompilerServices.CallerLineNumber] int line = 0)
{
    var error = StoatError.Raised(type, status, line: line);
    return Results.Json(new Dictionary<string, string> { ["type"] = error.Type, ["location"] = error.Location }, statusCode: (int)status);
}

public partial class Program;

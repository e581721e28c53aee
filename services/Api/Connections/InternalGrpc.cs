namespace Spokes.Api.Connections;

/// <summary>
/// The Api's second listener, for other services' gRPC calls (Kestrel endpoint <c>grpc</c>, cleartext HTTP/2).
/// Stoat's REST rules (rate limits per client, JSON bodies) are for clients, not for the Events service, and
/// gRPC is answered only there.
/// </summary>
public static class InternalGrpc
{
    public static WebApplication MapInternalGrpc(this WebApplication app)
    {
        var port = Port(app.Configuration);
        var sessions = app.MapGrpcService<SessionsGrpc>();
        var connections = app.MapGrpcService<ConnectionsGrpc>();
        var pushTargets = app.MapGrpcService<Push.PushTargetsGrpc>();
        if (port is not null)
        {
            sessions.RequireHost($"*:{port}");
            connections.RequireHost($"*:{port}");
            pushTargets.RequireHost($"*:{port}");
        }
        return app;
    }

    /// <summary>Stoat's REST middleware, on every listener but the gRPC one.</summary>
    public static WebApplication UseForClients(this WebApplication app, Action<IApplicationBuilder> configure)
    {
        var port = Port(app.Configuration);
        app.UseWhen(context => port is null || context.Connection.LocalPort != port, configure);
        return app;
    }

    private static int? Port(IConfiguration configuration)
    {
        var url = configuration["Kestrel:Endpoints:grpc:Url"];
        if (string.IsNullOrEmpty(url)) return null;
        // Kestrel's wildcard hosts are not URI hosts.
        return Uri.TryCreate(url.Replace("://+", "://any").Replace("://*", "://any"), UriKind.Absolute, out var uri) ? uri.Port : null;
    }
}

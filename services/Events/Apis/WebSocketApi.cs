using Spokes.Events.Connections;

namespace Spokes.Events.Apis;

public static class WebSocketApi
{
    /// <summary>
    /// Stoat's events endpoint. The Gateway strips <c>/ws</c>, so sockets arrive at <c>/</c>; <c>/ws</c> is served
    /// too for direct connections. As in Stoat, only the query string matters.
    /// </summary>
    public static IEndpointRouteBuilder MapWebSocketApi(this IEndpointRouteBuilder app)
    {
        app.Map("/", (HttpContext context, ConnectionHandler handler) => handler.HandleAsync(context));
        app.Map("/ws", (HttpContext context, ConnectionHandler handler) => handler.HandleAsync(context));
        return app;
    }
}

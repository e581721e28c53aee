using Microsoft.Extensions.Configuration;
using Spokes.AppHost.Local;
using Spokes.AppHost.Kubernetes;
using Spokes.AppHost.Suite;

namespace Spokes.AppHost.Containers;

/// <summary>
/// Voice: where the services find LiveKit (a connection string with its API key and secret) and the address the
/// Gateway proxies <c>/livekit</c> to.
/// </summary>
/// <param name="Container">The LiveKit container (containers profile), whose configuration names where its webhooks go; null for an external server.</param>
public sealed record LiveKit(IResourceBuilder<IResourceWithConnectionString> Server, ReferenceExpression HttpUrl, IResourceBuilder<LiveKitResource>? Container = null)
{
    /// <summary>
    /// The node's name in Spokes (the single node is <c>worldwide</c>): its webhooks go to <c>/ingress/worldwide</c>.
    /// An external server is told so by its operator (see README).
    /// </summary>
    public const string NodeName = "worldwide";

    /// <summary>Configures the container: its media ports, its key, and its webhooks to Voice-Ingress.</summary>
    public LiveKit SendWebhooksTo(IResourceBuilder<ProjectResource> voiceIngress)
    {
        if (Container is null) return this;
        var ingress = voiceIngress.GetEndpoint("http");
        var ports = Container.Resource.UdpPorts;
        Container.WithEnvironment("LIVEKIT_CONFIG", ReferenceExpression.Create(
            $"port: 7880\nrtc:\n  tcp_port: {Container.Resource.RtcTcpPort.ToString()}\n  port_range_start: {ports.First.ToString()}\n  port_range_end: {ports.Last.ToString()}\nkeys:\n  {LiveKitResource.ApiKey}: {Container.Resource.ApiSecret}\nwebhook:\n  api_key: {LiveKitResource.ApiKey}\n  urls:\n    - {ingress.Property(EndpointProperty.Url)}/{NodeName}\n"));
        return this;
    }
}

public sealed class LiveKitResource(string name, ParameterResource apiSecret, PortRange udpPorts, int rtcTcpPort) : ContainerResource(name), IResourceWithConnectionString
{
    public const string ApiKey = "spokes";
    public const int DefaultRtcTcpPort = 7881;

    /// <summary>WebRTC's TCP fallback port (the setup's network answer).</summary>
    public int RtcTcpPort { get; } = rtcTcpPort;

    /// <summary>WebRTC's UDP media ports (<c>--voice-ports</c>).</summary>
    public PortRange UdpPorts { get; } = udpPorts;

    public EndpointReference Endpoint => new(this, "http");

    public ParameterResource ApiSecret { get; } = apiSecret;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint={Endpoint.Property(EndpointProperty.Url)};ApiKey={ApiKey};ApiSecret={ApiSecret}");
}


public static class LiveKitServer
{
    /// <summary>The LiveKit container: WebRTC advertises its TCP and UDP media ports to clients, so the host publishes them unchanged.</summary>
    public static LiveKit AddLiveKitContainer(this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> apiSecret, PortRange udpPorts,
        int rtcTcpPort = LiveKitResource.DefaultRtcTcpPort)
    {
        var livekit = builder.AddResource(new LiveKitResource(name, apiSecret.Resource, udpPorts, rtcTcpPort))
            .WithImage("livekit/livekit-server", "v1.9")
            .WithImageRegistry("docker.io")
            .WithHttpEndpoint(name: "http", targetPort: 7880)
            .WithEndpoint(name: "rtc-tcp", scheme: "tcp", port: rtcTcpPort, targetPort: rtcTcpPort, isProxied: false)
            .WithContainerRuntimeArgs("-p", $"{udpPorts}:{udpPorts}/udp")
            .WithAnnotation(new HostPortRangeAnnotation($"{udpPorts}/udp"))
            .WithHttpHealthCheck("/")
            .WithIconName("Headphones");
        return new LiveKit(livekit, ReferenceExpression.Create($"{livekit.Resource.Endpoint.Property(EndpointProperty.Url)}"), livekit);
    }

    /// <summary>
    /// A LiveKit server the operator runs (local profile): <c>LiveKit__Url</c>, <c>LiveKit__ApiKey</c> and
    /// <c>LiveKit__ApiSecret</c>; null when none is configured (voice off).
    /// </summary>
    public static LiveKit? AddExternalLiveKit(this IDistributedApplicationBuilder builder, string name)
    {
        var url = builder.Configuration["LiveKit:Url"];
        var key = builder.Configuration["LiveKit:ApiKey"];
        var secret = builder.Configuration["LiveKit:ApiSecret"];
        if (string.IsNullOrEmpty(url) && string.IsNullOrEmpty(key) && string.IsNullOrEmpty(secret)) return null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https" or "ws" or "wss")
            || string.IsNullOrEmpty(key) || string.IsNullOrEmpty(secret))
        {
            throw new SetupException("Voice needs all of LiveKit__Url (http(s):// or ws(s)://), LiveKit__ApiKey and LiveKit__ApiSecret.");
        }
        var httpUrl = new UriBuilder(address) { Scheme = address.Scheme is "wss" or "https" ? "https" : "http" }.Uri.ToString().TrimEnd('/');
        builder.Configuration[$"Parameters:{name}-api-secret"] = secret;
        var apiSecret = builder.AddParameter($"{name}-api-secret", secret: true);
        var server = builder.AddConnectionString(name, ReferenceExpression.Create($"Endpoint={httpUrl};ApiKey={key};ApiSecret={apiSecret.Resource}"))
            .WithProbe(cancellationToken => ServerProbes.HttpAsync(httpUrl + "/", cancellationToken))
            // Down, it leaves calls unavailable, not the suite: the dashboard shows it unhealthy.
            .WithoutStartupWait()
            .WithIconName("Headphones");
        return new LiveKit(server, ReferenceExpression.Create($"{httpUrl}"));
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Spokes.Contracts.Internal;

/// <summary>How a service of the suite reaches another one's gRPC endpoint: at the address the AppHost injects,
/// with the suite's internal key on every call.</summary>
public static class InternalClients
{
    /// <summary>Another service's gRPC endpoint (<c>services__{service}__grpc__0</c>), or null when none is configured.</summary>
    public static Uri? FindGrpcEndpoint(IConfiguration configuration, string service) =>
        Uri.TryCreate(configuration[$"services:{service}:grpc:0"], UriKind.Absolute, out var address) ? address : null;

    /// <summary>A gRPC client for <paramref name="service"/>, which this service cannot run without.</summary>
    public static IHttpClientBuilder AddInternalGrpcClient<TClient>(this IHostApplicationBuilder builder, string service)
        where TClient : class =>
        builder.AddInternalGrpcClient<TClient>(FindGrpcEndpoint(builder.Configuration, service)
            ?? throw new InvalidOperationException(
                $"{builder.Environment.ApplicationName} needs the {service} service's gRPC endpoint: set services__{service}__grpc__0 (the AppHost injects it), e.g. http://127.0.0.1:5001."));

    /// <summary>A gRPC client for the service at <paramref name="address"/>.</summary>
    public static IHttpClientBuilder AddInternalGrpcClient<TClient>(this IHostApplicationBuilder builder, Uri address)
        where TClient : class
    {
        var key = builder.Configuration[InternalCalls.KeySetting] is { Length: > 0 } configured
            ? configured
            : throw new InvalidOperationException(
                $"{builder.Environment.ApplicationName} needs the suite's internal key for its calls to other services: set Internal__Key (the AppHost injects it).");
        return builder.Services.AddGrpcClient<TClient>(o => o.Address = address)
            .AddHttpMessageHandler(() => new InternalKeyHandler(key));
    }
}

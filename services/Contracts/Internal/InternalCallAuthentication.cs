using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Configuration;

namespace Spokes.Contracts.Internal;

/// <summary>
/// A service's gRPC endpoint answers only callers that present the suite's internal key: the Api's hands out any
/// user's session, relationships and server views, Autumn's changes who may see a file. Without a key configured,
/// every call is refused.
/// </summary>
public sealed class InternalCallAuthentication(IConfiguration configuration) : Interceptor
{
    private readonly string? _key = configuration[InternalCalls.KeySetting];

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authenticate(ServerCallContext context)
    {
        if (!InternalCalls.IsValid(context.RequestHeaders.GetValue(InternalCalls.Header), _key))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "This is an internal API of the Spokes suite: callers present the suite's internal key."));
        }
    }
}

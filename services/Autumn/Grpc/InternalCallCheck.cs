using Grpc.Core;
using Grpc.Core.Interceptors;
using Spokes.Contracts.Internal;

namespace Spokes.Autumn.Grpc;

/// <summary>
/// Autumn's gRPC answers only callers with the suite's internal key (the Api): a claim changes who may see a file.
/// Files has unary calls only. Without a key configured, every call is refused.
/// </summary>
public sealed class InternalCallCheck(IConfiguration configuration) : Interceptor
{
    private readonly string? _key = configuration[InternalCalls.KeySetting];

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (!InternalCalls.IsValid(context.RequestHeaders.GetValue(InternalCalls.Header), _key))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "This is Autumn's internal API: callers present the suite's internal key."));
        }
        return continuation(request, context);
    }
}

using Grpc.Core;
using Grpc.Net.Client;
using Spokes.Contracts.Connections.V1;
using ConnectionsClient = Spokes.Contracts.Connections.V1.Connections.ConnectionsClient;
using Spokes.Contracts.Internal;

namespace Spokes.Events.Tests;

/// <summary>The Api's internal gRPC answers only callers with the suite's internal key, as the Events nodes are.</summary>
[Collection(EventsClusterCollection.Name)]
public sealed class InternalApiTests(EventsCluster cluster)
{
    private async Task<ReadyReply> ReadyAsync(string userId, string? key)
    {
        using var channel = GrpcChannel.ForAddress(cluster.ApiGrpcUrl);
        var headers = new Metadata();
        if (key is not null) headers.Add(InternalCalls.Header, key);
        return await new ConnectionsClient(channel).ReadyAsync(new ReadyRequest { UserId = userId }, headers);
    }

    [Fact]
    public async Task A_caller_without_the_internal_key_reads_nobodys_ready()
    {
        var (userId, _) = await cluster.SignUpAsync("ivan");
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => ReadyAsync(userId, null))).StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => ReadyAsync(userId, "not-the-key"))).StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => ReadyAsync(userId, EventsCluster.InternalKey + "x"))).StatusCode);
        Assert.Contains(userId, (await ReadyAsync(userId, EventsCluster.InternalKey)).UserIds);
    }
}

using Grpc.Core;
using Spokes.Contracts.Connections.V1;
using ConnectionsClient = Spokes.Contracts.Connections.V1.Connections.ConnectionsClient;

namespace Spokes.Events.Fanout;

/// <summary>Asks the Api what users see of a server after a change; the Api keeps the data and the permission rules.</summary>
public sealed class ServerViews(ConnectionsClient client, ILogger<ServerViews> logger)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    /// <summary>Null when the Api cannot answer; the sockets then keep what they had until their next change.</summary>
    public async Task<ServerViewReply?> RequestAsync(string serverId, IReadOnlyList<string> userIds)
    {
        var request = new ServerViewRequest { ServerId = serverId };
        request.UserIds.AddRange(userIds);
        try
        {
            return await client.ServerViewAsync(request, deadline: DateTime.UtcNow + Deadline);
        }
        catch (RpcException e)
        {
            logger.LogWarning("The Api did not say what {Count} users see of server {Server}: {Status}", userIds.Count, serverId, e.Status);
            return null;
        }
    }
}

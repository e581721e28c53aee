using Microsoft.Extensions.DependencyInjection;
using Spokes.Api.Voice;
using Spokes.Contracts.Voice;

namespace Spokes.Api.Tests.Voice;

/// <summary>
/// The RoomService client against a real LiveKit server, when <c>SPOKES_TEST_LIVEKIT</c> gives its address
/// (<c>SPOKES_TEST_LIVEKIT_KEY</c> and <c>SPOKES_TEST_LIVEKIT_SECRET</c> its key, by default those of
/// <c>livekit-server --dev</c>); skipped otherwise.
/// </summary>
public class RealLiveKitTests
{
    private static readonly string? Url = Environment.GetEnvironmentVariable("SPOKES_TEST_LIVEKIT");

    [SkippableFact]
    public async Task A_real_node_takes_the_admin_token_creates_the_room_and_answers_the_health_check()
    {
        Skip.If(string.IsNullOrEmpty(Url), "SPOKES_TEST_LIVEKIT is not set: no LiveKit server to test against.");
        var node = new LiveKitNode("worldwide", new Uri(Url!), Url!,
            Environment.GetEnvironmentVariable("SPOKES_TEST_LIVEKIT_KEY") ?? "devkey",
            Environment.GetEnvironmentVariable("SPOKES_TEST_LIVEKIT_SECRET") ?? "secret", 0, 0, false);
        var services = new ServiceCollection().AddHttpClient().AddSingleton(TimeProvider.System).AddSingleton<RoomServiceClient>().BuildServiceProvider();
        var rooms = services.GetRequiredService<RoomServiceClient>();

        await rooms.ListRoomsAsync(node, CancellationToken.None);
        Assert.Equal(0, await rooms.CreateRoomAsync(node, $"spokes-test-{Guid.NewGuid():N}", "server", CancellationToken.None));
    }
}

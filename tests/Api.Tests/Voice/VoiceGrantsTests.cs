using Spokes.Api.Configuration;
using Spokes.Api.Voice;
using Spokes.Permissions;

namespace Spokes.Api.Tests.Voice;

public class VoiceGrantsTests
{
    [Fact]
    public void Speak_gives_the_microphone_video_the_camera_and_screen_and_listen_the_subscription()
    {
        var all = VoiceGrants.For(ChannelPermission.Speak | ChannelPermission.Video | ChannelPermission.Listen, new UserLimits());
        Assert.Equal(["microphone", "camera", "screen_share", "screen_share_audio"], all.Sources);
        Assert.True(all.CanSubscribe);
        var none = VoiceGrants.For(ChannelPermission.Connect, new UserLimits());
        Assert.Empty(none.Sources);
        Assert.False(none.CanSubscribe);
    }

    [Fact]
    public void Limits_without_video_leave_only_the_microphone() =>
        Assert.Equal(["microphone"], VoiceGrants.For(ChannelPermission.Speak | ChannelPermission.Video, new UserLimits { Video = false }).Sources);
}

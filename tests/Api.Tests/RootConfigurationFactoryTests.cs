using Microsoft.Extensions.Options;
using Spokes.Api.Configuration;
using Spokes.Contracts.Voice;

namespace Spokes.Api.Tests;

public class RootConfigurationFactoryTests
{
    private static RootConfiguration Create(Action<ApiOptions>? configure = null)
    {
        var options = new ApiOptions();
        configure?.Invoke(options);
        return new RootConfigurationFactory(new StaticOptions(options), Spokes.Api.Voice.VoiceNodeRegistry.Of(options)).Create();
    }

    private sealed class StaticOptions(ApiOptions value) : IOptionsMonitor<ApiOptions>
    {
        public ApiOptions CurrentValue => value;
        public ApiOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<ApiOptions, string?> listener) => null;
    }

    [Theory]
    [InlineData("http://localhost:8080", "ws://localhost:8080/ws")]
    [InlineData("https://chat.example.com", "wss://chat.example.com/ws")]
    [InlineData("https://chat.example.com/", "wss://chat.example.com/ws")]
    public void The_websocket_url_follows_the_public_url(string publicUrl, string expected)
    {
        Assert.Equal(expected, Create(o => o.PublicUrl = publicUrl).Ws);
    }

    [Fact]
    public void Captcha_is_on_only_with_both_key_and_secret_and_never_shows_the_secret()
    {
        Assert.False(Create(o => o.CaptchaKey = "site-key").Features.Captcha.Enabled);
        var on = Create(o => { o.CaptchaKey = "site-key"; o.CaptchaSecret = "secret"; });
        Assert.True(on.Features.Captcha.Enabled);
        Assert.Equal("site-key", on.Features.Captcha.Key);
        Assert.DoesNotContain("secret", System.Text.Json.JsonSerializer.Serialize(on));
    }

    [Fact]
    public void Email_verification_is_on_when_smtp_is_configured()
    {
        Assert.False(Create().Features.Email);
        Assert.True(Create(o => o.SmtpHost = "smtp.example.com").Features.Email);
    }

    [Fact]
    public void Private_voice_nodes_take_calls_but_are_not_listed()
    {
        var root = Create(o => o.VoiceNodes =
        [
            new VoiceNodeOptions { Name = "eu", Lat = 48.8, Lon = 2.3, Url = "http://livekit-eu:7880", PublicUrl = "wss://eu.example.com", ApiKey = "k", ApiSecret = "s" },
            new VoiceNodeOptions { Name = "internal", Url = "http://10.0.0.5:7880", PublicUrl = "ws://10.0.0.5:7880", ApiKey = "k", ApiSecret = "s", Private = true },
        ]);
        Assert.True(root.Features.Livekit.Enabled);
        var node = Assert.Single(root.Features.Livekit.Nodes);
        Assert.Equal(new VoiceNode("eu", 48.8, 2.3, "wss://eu.example.com"), node);
    }

    [Fact]
    public void Limits_default_to_stoats()
    {
        var limits = Create().Features.Limits;
        Assert.Equal(100, limits.Global.GroupSize);
        Assert.Equal(5, limits.Global.MessageReplies);
        Assert.Equal(20_000_000, limits.Global.BodyLimitSize);
        Assert.Equal(5, limits.NewUser.OutgoingFriendRequests);
        Assert.Equal(50, limits.NewUser.Servers);
        Assert.Equal(100, limits.Default.Servers);
        Assert.Equal([1080, 720], limits.Default.VideoResolution);
        Assert.Equal([0.3, 2.5], limits.Default.VideoAspectRatio);
        Assert.Equal(500_000, limits.Default.FileUploadSizeLimit["emojis"]);
    }

    [Fact]
    public void Build_information_reports_this_builds_version()
    {
        var build = Create().Build;
        Assert.Equal("0.1.0", build.Semver);
        Assert.True(DateTimeOffset.TryParse(build.Timestamp, out _));
    }
}

public class ApiOptionsValidatorTests
{
    private static IReadOnlyList<string> Failures(Action<ApiOptions> configure)
    {
        var options = new ApiOptions();
        configure(options);
        var result = new ApiOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures!.ToList() : [];
    }

    [Fact]
    public void Defaults_are_valid() => Assert.Empty(Failures(_ => { }));

    [Theory]
    [InlineData("chat.example.com")]
    [InlineData("ftp://chat.example.com")]
    [InlineData("")]
    public void The_public_url_must_be_absolute_http(string url) =>
        Assert.Contains(Failures(o => o.PublicUrl = url), f => f.Contains("Api:PublicUrl"));

    [Fact]
    public void Voice_nodes_need_a_name_and_an_absolute_url() =>
        Assert.Contains(Failures(o => o.VoiceNodes = [new VoiceNodeOptions { Name = "", PublicUrl = "nowhere" }]), f => f.Contains("VoiceNodes"));

    [Fact]
    public void Message_length_cannot_exceed_what_stoat_clients_accept() =>
        Assert.Contains(Failures(o => o.Limits.Default.MessageLength = 5000), f => f.Contains("MessageLength"));

    [Fact]
    public void Video_aspect_ratios_must_be_ordered() =>
        Assert.Contains(Failures(o => o.Limits.NewUser.VideoMinAspectRatio = 3), f => f.Contains("VideoMinAspectRatio"));

    [Fact]
    public void Half_configured_captcha_or_email_stops_the_api_rather_than_being_ignored()
    {
        Assert.Empty(Failures(o => { o.InviteOnly = true; o.SmtpHost = "smtp.example.com"; o.CaptchaKey = "key"; o.CaptchaSecret = "secret"; }));
        Assert.Contains(Failures(o => o.CaptchaSecret = "secret"), f => f.Contains("Captcha"));
        Assert.Contains(Failures(o => { o.SmtpHost = "smtp.example.com"; o.SmtpFrom = "not an address"; }), f => f.Contains("Api:SmtpFrom"));
        Assert.Contains(Failures(o => { o.SmtpHost = "smtp.example.com"; o.SmtpPort = 0; }), f => f.Contains("Api:SmtpPort"));
    }
}

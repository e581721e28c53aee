using Spokes.AppHost.Suite;

namespace Spokes.AppHost.Tests;

public class SpokesOptionsTests
{
    [Fact]
    public void Defaults_are_the_ones_users_expect()
    {
        var options = SpokesOptions.Parse([]);
        Assert.Null(options.Profile);
        Assert.Equal(8080, options.Port);
        Assert.Equal(18888, options.DashboardPort);
        Assert.Equal(Path.GetFullPath(".spokes-data"), options.DataFolder);
        Assert.Equal("http://localhost:8080", options.EffectivePublicUrl);
    }

    [Fact]
    public void Run_options_are_read()
    {
        var options = SpokesOptions.Parse(["--profile", "local", "--data", "/tmp/x", "--port", "9000", "--public-url", "https://chat.example.com/",
            "--dashboard-port", "19000"]);
        Assert.Equal(Profile.Local, options.Profile);
        Assert.Equal("/tmp/x", options.DataFolder);
        Assert.Equal(9000, options.Port);
        Assert.Equal(19000, options.DashboardPort);
        Assert.Equal("https://chat.example.com", options.EffectivePublicUrl);
    }

    [Fact]
    public void The_public_url_defaults_to_the_gateway_port() =>
        Assert.Equal("http://localhost:9000", SpokesOptions.Parse(["--port", "9000"]).EffectivePublicUrl);

    [Fact]
    public void Aspires_own_switches_and_settings_are_left_to_aspire()
    {
        var options = SpokesOptions.Parse(["publish", "--publisher", "kubernetes", "--output-path", "out", "--registry", "ghcr.io/acme/",
            "--DcpPublisher:RandomizePorts", "false", "--operation", "publish", "--step", "publish-manifest"]);
        Assert.Equal("ghcr.io/acme", options.ImageRegistry);
    }

    [Theory]
    [InlineData("--profile", "docker", "local or containers")]
    [InlineData("--port", "0", "port number")]
    [InlineData("--port", "http", "port number")]
    [InlineData("--dashboard-port", "70000", "port number")]
    [InlineData("--public-url", "chat.example.com", "http(s) URL")]
    [InlineData("--public-url", "https://example.com/chat", "no path")]
    [InlineData("--wat", "1", "Unknown option '--wat'")]
    [InlineData("--port=9000", "", "Write '--port 9000'")]
    [InlineData("serve", "", "Unexpected argument 'serve'")]
    public void Bad_options_are_refused_with_the_reason(string option, string value, string expected)
    {
        var error = Assert.Throws<SetupException>(() => SpokesOptions.Parse(value.Length > 0 ? [option, value] : [option]));
        Assert.Contains(expected, error.Message);
        Assert.Equal(2, error.ExitCode);
    }

    [Fact]
    public void An_option_without_its_value_is_refused_rather_than_taking_the_next_option_as_its_value()
    {
        Assert.Contains("needs a value", Assert.Throws<SetupException>(() => SpokesOptions.Parse(["--data"])).Message);
        Assert.Contains("--data needs a value", Assert.Throws<SetupException>(() => SpokesOptions.Parse(["--data", "--port", "9000"])).Message);
    }

    [Fact]
    public void Voice_ports_default_to_the_planned_range_and_take_another()
    {
        Assert.Equal(new PortRange(50000, 50499), SpokesOptions.Parse([]).VoicePorts);
        Assert.Equal(new PortRange(40000, 40099), SpokesOptions.Parse(["--voice-ports", "40000-40099"]).VoicePorts);
    }

    [Theory]
    [InlineData("50000")]
    [InlineData("50100-50000")]
    [InlineData("80-90")]
    [InlineData("10000-30000")]
    public void Bad_voice_ports_are_refused(string value) =>
        Assert.Contains("--voice-ports must be FIRST-LAST", Assert.Throws<SetupException>(() => SpokesOptions.Parse(["--voice-ports", value])).Message);
}

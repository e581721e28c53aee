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
    public void A_tunnel_sets_the_public_url_to_its_hostname()
    {
        var tunnel = SpokesOptions.Parse(["--tunnel", "edge.example.net", "--tunnel-key", "abc", "--tunnel-hostname", "chat.example.net"]);
        Assert.Equal("https://chat.example.net", tunnel.EffectivePublicUrl);
        Assert.Equal("edge.example.net", tunnel.Tunnel!.Edge);
        Assert.Equal("abc", tunnel.Tunnel.Key);
        Assert.Null(tunnel.Tunnel.Pin);
        // An edge serving plain HTTP on another port; --public-url still wins where given.
        Assert.Equal("http://chat.tunnels.localhost:8090", SpokesOptions.Parse(["--tunnel", "127.0.0.1:8443", "--tunnel-key", "abc",
            "--tunnel-hostname", "http://chat.tunnels.localhost:8090/", "--tunnel-pin", "AB12"]).EffectivePublicUrl);
        Assert.Equal("https://chat.example.com", SpokesOptions.Parse(["--tunnel", "e", "--tunnel-key", "k", "--tunnel-hostname", "chat.example.net",
            "--public-url", "https://chat.example.com"]).EffectivePublicUrl);
    }

    [Fact]
    public void A_tunnel_without_a_hostname_leaves_it_to_the_edge()
    {
        var tunnel = SpokesOptions.Parse(["--tunnel", "edge.example.net", "--tunnel-key", "abc"]).Tunnel!;
        Assert.Equal(("edge.example.net", "abc"), (tunnel.Edge, tunnel.Key));
        Assert.Null(tunnel.Hostname);
    }

    [Theory]
    [InlineData("--tunnel", "edge.example.net")]
    [InlineData("--tunnel-key", "abc")]
    [InlineData("--tunnel-hostname", "chat.example.net")]
    [InlineData("--tunnel", "edge.example.net", "--tunnel-key", "abc", "--tunnel-hostname", "https://chat.example.net/path")]
    [InlineData("--tunnel", "edge.example.net", "--tunnel-key", "abc", "--tunnel-hostname", "ftp://chat.example.net")]
    public void A_tunnel_needs_its_edge_and_token_and_a_valid_hostname_if_any(params string[] args) =>
        Assert.Equal(2, Assert.Throws<SetupException>(() => SpokesOptions.Parse(args)).ExitCode);

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
    [InlineData("--api-replicas", "0", "from 1 to 8")]
    [InlineData("--api-replicas", "two", "from 1 to 8")]
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
    public void The_api_runs_as_one_process_on_its_own_port_unless_replicas_are_asked_for()
    {
        Assert.Null(SpokesOptions.Parse([]).ApiReplicas);
        Assert.Equal(2, SpokesOptions.Parse(["--api-replicas", "2"]).ApiReplicas);
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

using Spokes.AppHost.Hosting;

namespace Spokes.AppHost.Tests;

public class AppHostOptionsTests
{
    [Fact]
    public void Defaults_are_the_ones_users_expect()
    {
        var options = AppHostOptions.Parse([]);
        Assert.Null(options.Profile);
        Assert.Equal(8080, options.Port);
        Assert.Equal(Path.GetFullPath(".spokes-data"), options.DataFolder);
        Assert.Equal("http://localhost:8080", options.EffectivePublicUrl);
        Assert.False(options.IsPublishing);
    }

    [Fact]
    public void Run_options_are_read()
    {
        var options = AppHostOptions.Parse(["--profile", "local", "--data", "/tmp/x", "--port", "9000", "--public-url", "https://chat.example.com/"]);
        Assert.Equal(Profile.Local, options.Profile);
        Assert.Equal("/tmp/x", options.DataFolder);
        Assert.Equal(9000, options.Port);
        Assert.Equal("https://chat.example.com", options.EffectivePublicUrl);
    }

    [Fact]
    public void The_public_url_defaults_to_the_gateway_port() =>
        Assert.Equal("http://localhost:9000", AppHostOptions.Parse(["--port", "9000"]).EffectivePublicUrl);

    [Fact]
    public void Publish_needs_a_publisher_and_an_output_path()
    {
        var options = AppHostOptions.Parse(["publish", "--publisher", "kubernetes", "--output-path", "out"]);
        Assert.Equal(Publisher.Kubernetes, options.Publisher);
        Assert.Equal(Path.GetFullPath("out"), options.OutputPath);
        Assert.Throws<ArgumentException>(() => AppHostOptions.Parse(["publish", "--publisher", "manifest"]));
    }

    [Theory]
    [InlineData("--profile", "docker", "local or containers")]
    [InlineData("--port", "0", "port number")]
    [InlineData("--port", "http", "port number")]
    [InlineData("--public-url", "chat.example.com", "http(s) URL")]
    [InlineData("--public-url", "https://example.com/chat", "no path")]
    [InlineData("--wat", "1", "Unknown option")]
    public void Bad_options_are_refused_with_the_reason(string option, string value, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => AppHostOptions.Parse([option, value]));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void An_option_without_its_value_is_refused() =>
        Assert.Contains("needs a value", Assert.Throws<ArgumentException>(() => AppHostOptions.Parse(["--data"])).Message);

    [Fact]
    public void Publish_options_are_refused_when_not_publishing() =>
        Assert.Throws<ArgumentException>(() => AppHostOptions.Parse(["--publisher", "manifest"]));
}

using System.Net;

namespace Spokes.Egress.Tests;

public class EgressRulesTests
{
    [Fact]
    public void By_default_only_public_addresses_on_ports_80_and_443_are_allowed()
    {
        var rules = new EgressRules(new EgressOptions());

        Assert.Null(rules.Refusal("example.com", IPAddress.Parse("93.184.215.14"), 443));
        Assert.Null(rules.Refusal("example.com", IPAddress.Parse("93.184.215.14"), 80));
        Assert.Contains("port 8080", rules.Refusal("example.com", IPAddress.Parse("93.184.215.14"), 8080));
        Assert.Contains("not a public address", rules.Refusal("localhost", IPAddress.Loopback, 80));
    }

    [Fact]
    public void Allowed_names_match_name_and_port_whatever_they_resolve_to()
    {
        var rules = new EgressRules(new EgressOptions { Allow = "Pages.Test:8080" });

        Assert.Null(rules.Refusal("pages.test", IPAddress.Loopback, 8080));
        Assert.NotNull(rules.Refusal("pages.test", IPAddress.Loopback, 8081));
        Assert.NotNull(rules.Refusal("other.test", IPAddress.Loopback, 8080));
    }

    [Fact]
    public void Allowed_addresses_match_the_address_connected_to_in_either_family_form()
    {
        var rules = new EgressRules(new EgressOptions { Allow = "127.0.0.1:9000, [::1]:9001" });

        Assert.Null(rules.Refusal("anything", IPAddress.Loopback, 9000));
        Assert.Null(rules.Refusal("anything", IPAddress.Parse("::ffff:127.0.0.1"), 9000));
        Assert.Null(rules.Refusal("anything", IPAddress.IPv6Loopback, 9001));
        Assert.NotNull(rules.Refusal("anything", IPAddress.IPv6Loopback, 9000));
    }

    [Theory]
    [InlineData("localhost", "Egress:Allow: 'localhost' is not host:port")]
    [InlineData("localhost:", "Egress:Allow: 'localhost:' is not host:port")]
    [InlineData("localhost:http", "Egress:Allow: 'localhost:http' has no valid port")]
    [InlineData("localhost:70000", "Egress:Allow: 'localhost:70000' has no valid port")]
    [InlineData("::1:80", "Egress:Allow: '::1:80' needs brackets around the IPv6 address")]
    public void A_mistake_in_the_setting_names_the_setting_and_the_entry(string allow, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => new EgressRules(new EgressOptions { Allow = allow })).Message);
}

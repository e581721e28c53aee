using Spokes.Contracts.Voice;

namespace Spokes.Api.Tests.Voice;

/// <summary>The LiveKit nodes as the Api and Voice-Ingress read them: every mistake told once, in its own words.</summary>
public class VoiceNodesTests
{
    private static (IReadOnlyList<LiveKitNode> Nodes, IReadOnlyList<string> Problems) Read(
        IReadOnlyList<VoiceNodeOptions> nodes, Dictionary<string, string>? settings = null) =>
        VoiceNodes.Read(nodes, key => settings?.GetValueOrDefault(key), "https://chat.example.com");

    private static VoiceNodeOptions Node(string name = "eu") => new()
    {
        Name = name, Url = "http://livekit-eu:7880", PublicUrl = "wss://eu.example.com", ApiKey = "key", ApiSecret = "secret",
    };

    [Fact]
    public void The_single_node_settings_name_one_node_worldwide_reached_through_the_gateway()
    {
        var (nodes, problems) = Read([], new() { ["LiveKit:Url"] = "ws://127.0.0.1:7880", ["LiveKit:ApiKey"] = "k", ["LiveKit:ApiSecret"] = "s" });
        Assert.Empty(problems);
        var node = Assert.Single(nodes);
        Assert.Equal(("worldwide", "http://127.0.0.1:7880/", "wss://chat.example.com/livekit", 0d, 0d), (node.Name, node.Url.ToString(), node.PublicUrl, node.Lat, node.Lon));
    }

    [Fact]
    public void The_apphosts_connection_string_is_the_single_node_too()
    {
        var (nodes, problems) = Read([], new() { ["ConnectionStrings:livekit"] = "Endpoint=http://localhost:7880;ApiKey=spokes;ApiSecret=s3cret" });
        Assert.Empty(problems);
        Assert.Equal(("worldwide", "spokes", "s3cret"), (nodes[0].Name, nodes[0].ApiKey, nodes[0].ApiSecret));
    }

    [Fact]
    public void A_node_without_lat_and_lon_sits_at_zero_rather_than_stopping_the_api() =>
        Assert.Equal((0d, 0d), (Read([Node()]).Nodes[0].Lat, Read([Node()]).Nodes[0].Lon));

    [Fact]
    public void Each_mistake_gets_one_message_that_names_the_setting()
    {
        var bad = new VoiceNodeOptions { Name = "eu west", Url = "livekit", PublicUrl = "", ApiKey = "", ApiSecret = "", Lat = 91, Lon = -181 };
        var problems = Read([bad]).Problems;
        Assert.Equal(7, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Api:VoiceNodes:0:Name"));
        Assert.Contains(problems, p => p.StartsWith("Api:VoiceNodes:0:Url"));
        Assert.Contains(problems, p => p.StartsWith("Api:VoiceNodes:0:PublicUrl"));
        Assert.Contains(problems, p => p.StartsWith("Api:VoiceNodes:0:ApiKey"));
        Assert.Contains(problems, p => p.StartsWith("Api:VoiceNodes:0:ApiSecret"));
        Assert.Contains(problems, p => p.StartsWith("Api:VoiceNodes:0:Lat"));
        Assert.Contains(problems, p => p.StartsWith("Api:VoiceNodes:0:Lon"));
        Assert.Empty(Read([bad]).Nodes);
    }

    [Fact]
    public void Half_configured_single_node_settings_and_a_name_used_twice_are_refused()
    {
        Assert.Equal(["LiveKit: voice needs all of LiveKit__Url, LiveKit__ApiKey and LiveKit__ApiSecret."],
            Read([], new() { ["LiveKit:Url"] = "http://livekit:7880" }).Problems);
        var twice = Read([Node("worldwide")], new() { ["LiveKit:Url"] = "http://livekit:7880", ["LiveKit:ApiKey"] = "k", ["LiveKit:ApiSecret"] = "s" }).Problems;
        Assert.Equal(2, twice.Count(p => p.Contains("'worldwide' is used by more than one node")));
    }

    [Fact]
    public void The_api_stops_at_start_on_a_bad_node()
    {
        var options = new Configuration.ApiOptions { VoiceNodes = [new VoiceNodeOptions { Name = "eu" }] };
        var result = new Configuration.ApiOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains("Api:VoiceNodes:0:Url", result.FailureMessage);
    }
}
